"""Tables. Every row carries `tenant_id`; primary keys start with it."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from rapport.core.store.types import Embedding, Json, UTCDateTime

metadata = MetaData()

ID = 256  # max id length, matches the domain models

tenants = Table(
    "tenants",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(256), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(ID), primary_key=True),
    Column("profile", Json, nullable=False),
    Column("timezone", String(64), nullable=False, default="UTC"),
    Column("lat", Float),
    Column("lon", Float),
    Column("consent", Boolean, nullable=False, default=True),
    Column("ai_opt_out", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

items = Table(
    "items",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(ID), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("title", Text, nullable=False, default=""),
    Column("text", Text, nullable=False, default=""),
    Column("tags", Json, nullable=False),
    Column("categories", Json, nullable=False),
    Column("attributes", Json, nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("starts_at", UTCDateTime),
    Column("ends_at", UTCDateTime),
    Column("price", Float),
    Column("original_price", Float),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_items_kind", "tenant_id", "kind", "active"),
    Index("ix_items_place", "tenant_id", "lat", "lon"),
    Index("ix_items_window", "tenant_id", "starts_at", "ends_at"),
    Index("ix_items_price", "tenant_id", "price"),
    Index("ix_items_created", "tenant_id", "created_at"),
)

# Tags and categories, one row per label, so "items with tag X" is an index lookup.
item_labels = Table(
    "item_labels",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("item_id", String(ID), primary_key=True),
    Column("field", String(16), primary_key=True),  # "tag" or "category"
    Column("value", String(256), primary_key=True),
    ForeignKeyConstraint(
        ["tenant_id", "item_id"], ["items.tenant_id", "items.id"], ondelete="CASCADE"
    ),
    Index("ix_item_labels_value", "tenant_id", "field", "value"),
)

events = Table(
    "events",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(ID), primary_key=True),
    Column("user_id", String(ID), nullable=False),
    Column("item_id", String(ID)),
    Column("type", String(32), nullable=False),
    Column("value", Float),
    Column("timestamp", UTCDateTime, nullable=False),
    Column("context", Json, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Index("ix_events_user_time", "tenant_id", "user_id", "timestamp"),
    Index("ix_events_item", "tenant_id", "item_id"),
    Index("ix_events_time", "tenant_id", "timestamp"),
)

documents = Table(
    "documents",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(ID), primary_key=True),
    Column("title", Text, nullable=False, default=""),
    Column("source", Text, nullable=False, default=""),
    Column("text", Text, nullable=False),
    Column("metadata", Json, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

chunks = Table(
    "chunks",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(ID + 16), primary_key=True),
    Column("document_id", String(ID), nullable=False),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("metadata", Json, nullable=False),
    ForeignKeyConstraint(
        ["tenant_id", "document_id"], ["documents.tenant_id", "documents.id"], ondelete="CASCADE"
    ),
    Index("ix_chunks_document", "tenant_id", "document_id", "position"),
)

# Item, user and chunk vectors. `model` + `content_hash` make re-embedding skippable and
# keep vectors of different models apart.
vectors = Table(
    "vectors",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("space", String(16), primary_key=True),  # "item", "user" or "chunk"
    Column("ref_id", String(ID + 16), primary_key=True),
    Column("model", String(256), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("dim", Integer, nullable=False),
    Column("vector", Embedding, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_vectors_hash", "model", "content_hash"),
    Index("ix_vectors_space", "tenant_id", "space", "model", "updated_at"),
)
