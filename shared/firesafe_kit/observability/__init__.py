"""Logs, metrics and the request context carried into them."""
