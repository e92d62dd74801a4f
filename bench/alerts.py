"""The alerts pipeline on PostgreSQL and Kafka, each part next to bare Kafka in the same run:

1. registry write → alert row latency (p50/p99/mean) next to a produce → consume probe
   (bench/alerts_latency.py);
2. replay catch-up of the alerts consumer (events/s) next to aiokafka's raw consume rate of the
   same records (bench/alerts_replay.py).

Sizes: 200 latency samples and 100,000 replayed events unless `--latency-samples N` or
`--replay-events N` say otherwise. The CLI's `--events` (default 5000, the relay bench's size)
is not used here. The replay dominates: about 5 minutes (~330 events/s) on a 2-core machine.
Needs `make infra-up`.
"""

from __future__ import annotations

from bench import alerts_latency, alerts_replay

LATENCY_SAMPLES = 200
REPLAY_EVENTS = 100_000


async def main(
    *, events: int = 0, latency_samples: int = LATENCY_SAMPLES, replay_events: int = REPLAY_EVENTS
) -> None:
    await alerts_latency.run(latency_samples)
    print()
    await alerts_replay.run(replay_events)
