"""Scorecards of the creation campaign (DOMAIN.md rules 1–8) per community, street, district.

`router` the three routes; `sources` the figure providers (one per service that has figures);
`registry_source` the registry's figures; `measures` and `figures` how a figure is measured;
`scoring` the composite score and ranking (its docstring is the published formula); `collect`
the one fan-out per source; `build` the scorecard; `csv_export` the CSV; `upstream` reading
the services with the caller's identity.
"""

from gateway.scorecards.router import router

__all__ = ["router"]
