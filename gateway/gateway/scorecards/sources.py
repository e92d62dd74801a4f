"""The figure providers of the scorecards. A service that starts to publish figures (duty
roster: shifts of 2 for rule 4; inspection: the monthly inspection of rule 8) joins by adding
its provider here; nothing else changes. A service the gateway
routes to without a provider here is reported as `"not_available"` in every scorecard."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.scorecards.alerts_source import AlertsFigures
from gateway.scorecards.provider import FigureProvider
from gateway.scorecards.registry_source import RegistryFigures

PROVIDERS: Sequence[FigureProvider] = (RegistryFigures(), AlertsFigures())
