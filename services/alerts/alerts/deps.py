"""FastAPI dependencies of the alerts service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from alerts.context import AlertsContext, get_context

ContextDep = Annotated[AlertsContext, Depends(get_context)]
