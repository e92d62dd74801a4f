"""Benchmarks: `make bench` (or `uv run python -m bench <name>`); each compares side by side."""
