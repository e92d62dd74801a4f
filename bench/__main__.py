"""Run a benchmark by name: python -m bench [relay|registry|gateway|alerts] [--events N].

`alerts` has its own sizes (`--latency-samples`, `--replay-events`; see bench/alerts.py).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from bench import alerts, gateway, registry_reads, relay

BENCHMARKS: dict[str, Callable[..., Coroutine[Any, Any, None]]] = {
    "relay": relay.main,
    "registry": registry_reads.main,
    "gateway": gateway.main,
    "alerts": alerts.main,
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", default=list(BENCHMARKS), choices=[*BENCHMARKS, []])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument(
        "--latency-samples",
        type=int,
        default=alerts.LATENCY_SAMPLES,
        help="alerts: registry writes timed to their alert row",
    )
    parser.add_argument(
        "--replay-events",
        type=int,
        default=alerts.REPLAY_EVENTS,
        help="alerts: registry events the alerts consumer replays",
    )
    args = parser.parse_args()
    for name in args.names or BENCHMARKS:
        if name == "alerts":
            asyncio.run(
                alerts.main(
                    events=args.events,
                    latency_samples=args.latency_samples,
                    replay_events=args.replay_events,
                )
            )
        else:
            asyncio.run(BENCHMARKS[name](events=args.events))


if __name__ == "__main__":
    main()
