"""Tables the kit needs in every service database (created by each service's first migration)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)

from firesafe_kit.db import BigId, UTCDateTime

kit_metadata = MetaData()

outbox = Table(
    "kit_outbox",
    kit_metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("topic", String(200), nullable=False),
    Column("partition_key", String(100), nullable=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("event_type", String(200), nullable=False),
    Column("headers", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text, nullable=True),
)
# The relay only ever scans unpublished rows; keep that index small on both engines.
Index(
    "ix_kit_outbox_pending",
    outbox.c.id,
    postgresql_where=outbox.c.published_at.is_(None),
    sqlite_where=outbox.c.published_at.is_(None),
)

inbox = Table(
    "kit_inbox",
    kit_metadata,
    Column("consumer", String(100), nullable=False),
    Column("event_source", String(200), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("processed_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("consumer", "event_source", "event_id"),
)

idempotency_keys = Table(
    "kit_idempotency_keys",
    kit_metadata,
    Column("principal", String(200), nullable=False),
    Column("key", String(200), nullable=False),
    Column("method", String(10), nullable=False),
    Column("path", String(500), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("completed", Boolean, nullable=False, server_default=text("false")),
    Column("status_code", Integer, nullable=True),
    Column("response_headers", Text, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("principal", "key"),
)

# The administrative tree (district → street → community), kept by every service from the
# registry's events so that jurisdiction can be checked locally, without a call to registry.
tree_nodes = Table(
    "kit_tree_nodes",
    kit_metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("parent_id", String(64), nullable=True, index=True),
    Column("deleted", Boolean, nullable=False, server_default=text("false")),
    Column("updated_at", UTCDateTime, nullable=False),
)
