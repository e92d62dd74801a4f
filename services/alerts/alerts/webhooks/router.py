"""Placeholder until /subscriptions lands."""

from __future__ import annotations

from firesafe_kit.app import api_router

router = api_router("/subscriptions", tags=["webhooks"])
