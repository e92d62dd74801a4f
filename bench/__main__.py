"""Run a benchmark by name: python -m bench [relay] [--events N]."""

from __future__ import annotations

import argparse
import asyncio

from bench import gateway, registry_reads, relay

BENCHMARKS = {"relay": relay.main, "registry": registry_reads.main, "gateway": gateway.main}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", default=list(BENCHMARKS), choices=[*BENCHMARKS, []])
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    for name in args.names or BENCHMARKS:
        asyncio.run(BENCHMARKS[name](events=args.events))


if __name__ == "__main__":
    main()
