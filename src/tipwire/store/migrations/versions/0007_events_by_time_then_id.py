"""events ordered by happened_at then id from one index

Revision ID: 0007
Revises: 0006

Event pages sort newest first with the id breaking ties; an index on both columns hands the
rows over in that order, so a page no longer sorts the events before it.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_happened_at_id", "events", ["happened_at", "id"])
    op.drop_index("ix_events_happened_at", table_name="events")


def downgrade() -> None:
    op.create_index("ix_events_happened_at", "events", ["happened_at"])
    op.drop_index("ix_events_happened_at_id", table_name="events")
