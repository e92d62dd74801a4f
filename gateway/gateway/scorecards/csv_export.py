"""The scorecard as CSV for spreadsheets: one row per community, ranked, the figures as
columns (`<figure>` its value, `<figure>_met` whether it meets its target). UTF-8 with a BOM,
so that Excel shows the Chinese names."""

from __future__ import annotations

import csv
import io

from gateway.scorecards.schemas import FigureValue, Scorecard

BOM = "\ufeff"
MEDIA_TYPE = "text/csv; charset=utf-8"
_COMMUNITY_COLUMNS = ["rank", "community_id", "code", "name", "street_id", "street_code"]
_COMMUNITY_COLUMNS += ["street_name", "score", "figures_met", "figures_scored"]


def _cell(value: FigureValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def scorecard_csv(card: Scorecard) -> str:
    keys = [figure.figure for figure in card.figures]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_COMMUNITY_COLUMNS + [c for key in keys for c in (key, f"{key}_met")])
    for entry in card.communities:
        row = [entry.rank, entry.id, entry.code, entry.name, entry.street_id, entry.street_code]
        row += [entry.street_name, _cell(entry.score), entry.figures_met, entry.figures_scored]
        for key in keys:
            figure = entry.figures.get(key)
            row += [_cell(figure.value), _cell(figure.met)] if figure else ["", ""]
        writer.writerow(row)
    return BOM + out.getvalue()


def filename(card: Scorecard) -> str:
    # ASCII only: the code identifies the scope; the Chinese name is inside the file.
    return f"scorecard-{card.scope.kind}-{card.scope.code}-{card.as_of.isoformat()}.csv"
