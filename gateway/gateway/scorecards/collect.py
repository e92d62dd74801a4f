"""One fan-out per source for a scorecard: every provider whose service the gateway reaches is
read once, concurrently; the required one (the registry, source of the tree) must answer, the
others may fail and are then reported as unavailable."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from firesafe_kit.http.problems import ProblemError
from gateway.scorecards.provider import Fetched, FigureProvider, Scope, Tree
from gateway.scorecards.upstream import UpstreamReader, upstream_trouble
from gateway.upstream_errors import UpstreamBadResponse, UpstreamUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Collected:
    tree: Tree
    sources: Mapping[str, str]  # service -> ok | unavailable | not_available
    answered: Sequence[tuple[FigureProvider, Fetched]]  # in provider order


async def _fetch_optional(
    provider: FigureProvider, reader: UpstreamReader, scope: Scope
) -> Fetched | None:
    try:
        return await provider.fetch(reader, scope)
    except ProblemError as exc:
        log.warning("scorecard source failed", extra={"source": provider.source, "error": str(exc)})
        return None


async def collect(
    reader: UpstreamReader,
    scope: Scope,
    providers: Sequence[FigureProvider],
    services: Iterable[str],
) -> Collected:
    """`services`: every service the gateway routes to (the sources that could exist)."""
    sources = dict.fromkeys([p.source for p in providers] + sorted(services), "not_available")
    reachable = [p for p in providers if reader.has(p.source)]
    missing = [p.source for p in providers if p.required and not reader.has(p.source)]
    if missing:
        raise upstream_trouble(UpstreamUnavailable, missing[0])
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(
                    p.fetch(reader, scope) if p.required else _fetch_optional(p, reader, scope)
                )
                for p in reachable
            ]
    except* ProblemError as failures:
        raise failures.exceptions[0] from None  # a required source failed: so does the card
    answered: list[tuple[FigureProvider, Fetched]] = []
    for provider, task in zip(reachable, tasks, strict=True):
        fetched = task.result()
        sources[provider.source] = "ok" if fetched is not None else "unavailable"
        if fetched is not None:
            answered.append((provider, fetched))
    tree = next((f.tree for _, f in answered if f.tree is not None), None)
    if tree is None:
        required = "/".join(p.source for p in providers if p.required) or "tree"
        raise upstream_trouble(UpstreamBadResponse, required)
    return Collected(tree=tree, sources=sources, answered=answered)
