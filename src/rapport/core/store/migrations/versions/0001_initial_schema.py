"""initial schema

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rapport.core.store.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table(
        "documents",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=256), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("metadata", rapport.core.store.types.Json(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_table(
        "events",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=256), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("item_id", sa.String(length=256), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("timestamp", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.Column("context", rapport.core.store.types.Json(), nullable=False),
        sa.Column("received_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_item", ["tenant_id", "item_id"], unique=False)
        batch_op.create_index("ix_events_time", ["tenant_id", "timestamp"], unique=False)
        batch_op.create_index(
            "ix_events_user_time", ["tenant_id", "user_id", "timestamp"], unique=False
        )

    op.create_table(
        "items",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("tags", rapport.core.store.types.Json(), nullable=False),
        sa.Column("categories", rapport.core.store.types.Json(), nullable=False),
        sa.Column("attributes", rapport.core.store.types.Json(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("starts_at", rapport.core.store.types.UTCDateTime(), nullable=True),
        sa.Column("ends_at", rapport.core.store.types.UTCDateTime(), nullable=True),
        sa.Column("price", sa.Float(), nullable=True),
        sa.Column("original_price", sa.Float(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index("ix_items_created", ["tenant_id", "created_at"], unique=False)
        batch_op.create_index("ix_items_kind", ["tenant_id", "kind", "active"], unique=False)
        batch_op.create_index("ix_items_place", ["tenant_id", "lat", "lon"], unique=False)
        batch_op.create_index("ix_items_price", ["tenant_id", "price"], unique=False)
        batch_op.create_index(
            "ix_items_window", ["tenant_id", "starts_at", "ends_at"], unique=False
        )

    op.create_table(
        "tenants",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("created_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "users",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=256), nullable=False),
        sa.Column("profile", rapport.core.store.types.Json(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("ai_opt_out", sa.Boolean(), nullable=False),
        sa.Column("created_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_table(
        "vectors",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("space", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.String(length=272), nullable=False),
        sa.Column("model", sa.String(length=256), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", rapport.core.store.types.Embedding(), nullable=False),
        sa.Column("updated_at", rapport.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "space", "ref_id", "model"),
    )
    with op.batch_alter_table("vectors", schema=None) as batch_op:
        batch_op.create_index("ix_vectors_hash", ["model", "content_hash"], unique=False)
        batch_op.create_index(
            "ix_vectors_space", ["tenant_id", "space", "model", "updated_at"], unique=False
        )

    op.create_table(
        "chunks",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=272), nullable=False),
        sa.Column("document_id", sa.String(length=256), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("metadata", rapport.core.store.types.Json(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["documents.tenant_id", "documents.id"],
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("chunks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_chunks_document", ["tenant_id", "document_id", "position"], unique=False
        )

    op.create_table(
        "item_labels",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=256), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "item_id"], ["items.tenant_id", "items.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "item_id", "field", "value"),
    )
    with op.batch_alter_table("item_labels", schema=None) as batch_op:
        batch_op.create_index("ix_item_labels_value", ["tenant_id", "field", "value"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_item_labels_value")

    op.drop_table("item_labels")
    with op.batch_alter_table("chunks", schema=None) as batch_op:
        batch_op.drop_index("ix_chunks_document")

    op.drop_table("chunks")
    with op.batch_alter_table("vectors", schema=None) as batch_op:
        batch_op.drop_index("ix_vectors_space")
        batch_op.drop_index("ix_vectors_hash")

    op.drop_table("vectors")
    op.drop_table("users")
    op.drop_table("tenants")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_window")
        batch_op.drop_index("ix_items_price")
        batch_op.drop_index("ix_items_place")
        batch_op.drop_index("ix_items_kind")
        batch_op.drop_index("ix_items_created")

    op.drop_table("items")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_user_time")
        batch_op.drop_index("ix_events_time")
        batch_op.drop_index("ix_events_item")

    op.drop_table("events")
    op.drop_table("documents")
