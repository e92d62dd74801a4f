"""Raw creation figures per community (DOMAIN.md rules 1–3 and 5–7, a hint for rule 4), for
many communities in one call: the gateway's scorecards read them, never one call per community.

`schemas` the query and the answer, `json_sql` JSON arrays in SQL on SQLite and PostgreSQL,
`queries` one GROUP BY community per table, `service` scope, jurisdiction and paging.
"""
