"""Placeholder until the delivery worker lands."""

from __future__ import annotations

import asyncio

from alerts.context import AlertsContext
from firesafe_kit.db import Database


class DeliveryWorker:
    def __init__(self, db: Database, context: AlertsContext) -> None:
        self.db = db
        self.context = context

    async def run(self, stop: asyncio.Event) -> None:
        await stop.wait()
