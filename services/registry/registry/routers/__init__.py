"""Routes that are not plain CRUD: station members, the PII access log, imports."""
