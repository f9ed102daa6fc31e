"""event counters and title/description templates

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_template", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("description_template", sa.Text(), nullable=True))
    op.create_table(
        "event_counters",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("part", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_counters_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "part", "name", name=op.f("pk_event_counters")),
    )


def downgrade() -> None:
    op.drop_table("event_counters")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("description_template")
        batch_op.drop_column("title_template")
