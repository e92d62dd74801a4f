"""Alembic environment of the registry service (the kit does the work on both engines)."""

from firesafe_kit.migrations import run_env
from registry.models import metadata

run_env(metadata)
