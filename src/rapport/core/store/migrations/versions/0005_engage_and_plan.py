"""Engage and plan: user context, the delivery outbox, calendars, sessions, weekly plans.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rapport.core.store.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "availability",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("item_id", sa.String(length=256), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("start_time", sa.String(length=5), nullable=True),
        sa.Column("end_time", sa.String(length=5), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("starts_at", rapport.core.store.types.UTCDateTime(), nullable=True),
        sa.Column("ends_at", rapport.core.store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.create_index("ix_availability_item", ["tenant_id", "item_id"], unique=False)
    op.create_table(
        "busy_times",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("starts_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.Column("ends_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("busy_times", schema=None) as batch_op:
        batch_op.create_index(
            "ix_busy_times_user", ["tenant_id", "user_id", "starts_at"], unique=False
        )
    op.create_table(
        "outbox",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("payload", rapport.core.store.types.Json(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("send_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.Column("sent_at", rapport.core.store.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
        sa.UniqueConstraint("tenant_id", "user_id", "trigger", "period", name="uq_outbox_once"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_due", ["tenant_id", "status", "next_attempt_at"], unique=False
        )
    op.create_table(
        "plans",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("week_of", sa.String(length=10), nullable=False),
        sa.Column("request", rapport.core.store.types.Json(), nullable=False),
        sa.Column("events", rapport.core.store.types.Json(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.create_index("ix_plans_user", ["tenant_id", "user_id", "week_of"], unique=False)
    op.create_table(
        "schedule_preferences",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("config", rapport.core.store.types.Json(), nullable=False),
        sa.Column("updated_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "user_id"),
    )
    op.create_table(
        "scheduled_sessions",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("item_id", sa.String(length=256), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("starts_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.Column("ends_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ai_scheduled", sa.Boolean(), nullable=False),
        sa.Column("created_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("scheduled_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sessions_item", ["tenant_id", "item_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            "ix_sessions_user", ["tenant_id", "user_id", "starts_at"], unique=False
        )
    op.create_table(
        "user_contexts",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("context", rapport.core.store.types.Json(), nullable=False),
        sa.Column("updated_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("user_contexts")
    with op.batch_alter_table("scheduled_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_user")
        batch_op.drop_index("ix_sessions_item")
    op.drop_table("scheduled_sessions")
    op.drop_table("schedule_preferences")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_index("ix_plans_user")
    op.drop_table("plans")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")
    op.drop_table("outbox")
    with op.batch_alter_table("busy_times", schema=None) as batch_op:
        batch_op.drop_index("ix_busy_times_user")
    op.drop_table("busy_times")
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.drop_index("ix_availability_item")
    op.drop_table("availability")
