"""Alembic environment of the alerts service (the kit does the work on both engines)."""

from alerts.models import metadata
from firesafe_kit.migrations import run_env

run_env(metadata)
