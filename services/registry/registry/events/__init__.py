"""The registry's events: published.py holds the shapes it promises on firesafe.registry.v1."""
