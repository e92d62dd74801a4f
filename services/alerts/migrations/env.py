"""Alembic environment of the alerts service (the kit does the work on both engines)."""

from firesafe_kit.migrations import run_env

run_env()
