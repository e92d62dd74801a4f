"""The inspection service."""
