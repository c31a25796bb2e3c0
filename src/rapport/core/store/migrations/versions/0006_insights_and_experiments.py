"""Insights and experiments: impressions, A/B tests, the model gate's decisions.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rapport.core.store.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("variants", rapport.core.store.types.Json(), nullable=False),
        sa.Column("config", rapport.core.store.types.Json(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stop_reason", sa.Text(), nullable=False),
        sa.Column("created_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.Column("stopped_at", rapport.core.store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "name"),
    )
    op.create_table(
        "impressions",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("list_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("item_id", sa.String(length=256), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("experiment", sa.String(length=64), nullable=True),
        sa.Column("variant", sa.String(length=32), nullable=True),
        sa.Column("created_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("impressions", schema=None) as batch_op:
        batch_op.create_index("ix_impressions_time", ["tenant_id", "created_at"], unique=False)
        batch_op.create_index(
            "ix_impressions_user_item",
            ["tenant_id", "user_id", "item_id", "created_at"],
            unique=False,
        )
    op.create_table(
        "model_decisions",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("metrics", rapport.core.store.types.Json(), nullable=False),
        sa.Column("created_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("model_decisions", schema=None) as batch_op:
        batch_op.create_index("ix_model_decisions_time", ["tenant_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("model_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_model_decisions_time")
    op.drop_table("model_decisions")
    with op.batch_alter_table("impressions", schema=None) as batch_op:
        batch_op.drop_index("ix_impressions_user_item")
        batch_op.drop_index("ix_impressions_time")
    op.drop_table("impressions")
    op.drop_table("experiments")
