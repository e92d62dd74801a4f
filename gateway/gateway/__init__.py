"""The API gateway: one front door in front of the four services."""
