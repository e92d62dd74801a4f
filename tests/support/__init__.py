"""Test support: the backend switch (embedded SQLite + bus, or real PostgreSQL + Kafka)."""
