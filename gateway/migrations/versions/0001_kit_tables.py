"""Kit tables: outbox, inbox, idempotency keys, jurisdiction tree.

Revision ID: 0001
Revises:
"""

from alembic import op

from firesafe_kit.migrations import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables(op)


def downgrade() -> None:
    drop_kit_tables(op)
