"""indicator counters

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ident = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "indicator_counters",
        sa.Column("indicator_id", ident, nullable=False),
        sa.Column("source_id", ident, nullable=False),
        sa.Column("part", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "indicator_id", "source_id", "part", "name", name=op.f("pk_indicator_counters")
        ),
    )


def downgrade() -> None:
    op.drop_table("indicator_counters")
