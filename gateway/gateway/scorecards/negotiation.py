"""JSON unless the caller asks for CSV: `text/csv` listed in `Accept` and not outranked by
`application/json` (q-values honoured; on a tie the earlier listed wins). Wildcards mean JSON."""

from __future__ import annotations


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def wants_csv(accept: str | None) -> bool:
    best: tuple[float, int, str] | None = None
    for index, part in enumerate((accept or "").split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        media = media.lower()
        if media not in ("text/csv", "application/json"):
            continue
        quality = _quality(params)
        if quality <= 0:
            continue
        candidate = (-quality, index, media)
        if best is None or candidate < best:
            best = candidate
    return best is not None and best[2] == "text/csv"
