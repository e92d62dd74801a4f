"""Per-community figures the gateway's scorecards read (one call for many communities)."""

from firesafe_kit.app import api_router

router = api_router("/figures", tags=["figures"])
