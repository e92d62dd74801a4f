"""The duty-roster service."""
