"""Spreadsheet (CSV) import of compounds, buildings, stations and key residents.

- `csv_rows`: bytes → header and rows (UTF-8, BOM, Chinese header aliases, row cap).
- `kinds`: per kind, which columns a file may have and how a row becomes the create schema.
- `references`: the specs' reference rules (`registry.access`) checked for all rows at once.
- `problems`: the import's problem+json errors.
- `router`: `POST /api/v1/imports?community_id=…&kind=…`, all rows in one transaction or none.
"""
