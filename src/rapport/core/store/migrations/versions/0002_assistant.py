"""The assistant: onboarding interviews, conversations, personas, generated content.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rapport.core.store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "onboarding_sessions",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("answers", rapport.core.store.types.Json(), nullable=False),
        sa.Column("profile", rapport.core.store.types.Json(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("onboarding_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_onboarding_user", ["tenant_id", "user_id"], unique=False)
    op.create_table(
        "conversations",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversations_user", ["tenant_id", "user_id", "updated_at"], unique=False
        )
    op.create_table(
        "conversation_messages",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("data", rapport.core.store.types.Json(), nullable=False),
        sa.Column("created_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "conversation_id"],
            ["conversations.tenant_id", "conversations.id"],
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "conversation_id", "position"),
    )
    op.create_table(
        "personas",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("config", rapport.core.store.types.Json(), nullable=False),
        sa.Column("updated_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "generations",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("request", rapport.core.store.types.Json(), nullable=False),
        sa.Column("output", rapport.core.store.types.Json(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=256), nullable=False),
        sa.Column("created_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_generations_kind", ["tenant_id", "kind", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.drop_index("ix_generations_kind")

    op.drop_table("generations")
    op.drop_table("personas")
    op.drop_table("conversation_messages")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_user")

    op.drop_table("conversations")
    with op.batch_alter_table("onboarding_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_onboarding_user")

    op.drop_table("onboarding_sessions")
