"""Alembic environment of the gateway (the kit does the work on both engines)."""

from firesafe_kit.migrations import run_env
from gateway.models import metadata

run_env(metadata)
