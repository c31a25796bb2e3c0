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
    UniqueConstraint,
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
    Index("ix_events_item", "tenant_id", "item_id"),
    Index("ix_events_time", "tenant_id", "timestamp"),
)
# Covers the per-request history read (newest first, then id): answered from the index
# alone, in its order, with no table lookups and no sort.
Index(
    "ix_events_user_history",
    events.c.tenant_id,
    events.c.user_id,
    events.c.timestamp.desc(),
    events.c.id,
    events.c.item_id,
    events.c.type,
    events.c.value,
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

# --- The assistant (migration 0002): interviews, conversations, personas, generated content.

onboarding_sessions = Table(
    "onboarding_sessions",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("user_id", String(ID), nullable=False),
    Column("step", Integer, nullable=False),
    Column("answers", Json, nullable=False),  # one entry per answered topic
    Column("profile", Json, nullable=False),  # what was understood so far
    Column("status", String(16), nullable=False),  # "open" or "done"
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_onboarding_user", "tenant_id", "user_id"),
)

conversations = Table(
    "conversations",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("user_id", String(ID), nullable=False),
    Column("summary", Text, nullable=False, default=""),  # of exchanges beyond the memory
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_conversations_user", "tenant_id", "user_id", "updated_at"),
)

conversation_messages = Table(
    "conversation_messages",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("conversation_id", String(64), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("role", String(16), nullable=False),  # "user" or "assistant"
    Column("content", Text, nullable=False),
    Column("data", Json, nullable=False),  # citations, actions, mode, intent
    Column("created_at", UTCDateTime, nullable=False),
    ForeignKeyConstraint(
        ["tenant_id", "conversation_id"],
        ["conversations.tenant_id", "conversations.id"],
        ondelete="CASCADE",
    ),
)

personas = Table(
    "personas",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("config", Json, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Every generated text (résumé, post, learning path, tags, drafts), with how it was made.
generations = Table(
    "generations",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("user_id", String(ID)),
    Column("kind", String(32), nullable=False),
    Column("request", Json, nullable=False),
    Column("output", Json, nullable=False),
    Column("mode", String(16), nullable=False),  # "llm" or "template"
    Column("model", String(256), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_generations_kind", "tenant_id", "kind", "created_at"),
)

# --- Safety (migration 0003): escalations to humans, the moderation queue, the audit log.

escalations = Table(
    "escalations",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("user_id", String(ID)),
    Column("source", String(32), nullable=False),  # chat, onboarding, ask, item, event
    Column("category", String(32), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("score", Float, nullable=False),
    Column("excerpt", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False),  # open, acknowledged, resolved
    Column("note", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_escalations_status", "tenant_id", "status", "created_at"),
)

moderation_queue = Table(
    "moderation_queue",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("ref_kind", String(32), nullable=False),  # item, post, chat
    Column("ref_id", String(ID), nullable=False),
    Column("text", Text, nullable=False),
    Column("labels", Json, nullable=False),  # category -> score
    Column("status", String(16), nullable=False),  # pending, approved, rejected
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
    Index("ix_moderation_status", "tenant_id", "status", "created_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("action", String(32), nullable=False),  # answer, assistant, nudge, escalation
    Column("user_hash", String(64), nullable=False, default=""),
    Column("model", String(256), nullable=False, default=""),
    Column("prompt_hash", String(64), nullable=False, default=""),
    Column("output", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_audit_time", "tenant_id", "created_at"),
)

# --- Access (migration 0004): per-tenant API keys, stored hashed.

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),  # the public part of the key
    Column("tenant_id", String(64), nullable=False),
    Column("scope", String(16), nullable=False),  # read, write, admin
    Column("secret_hash", String(128), nullable=False),
    Column("name", String(256), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Index("ix_api_keys_tenant", "tenant_id"),
)

# --- Engage and plan (migration 0005): context, outbox, calendars, sessions, weekly plans.

user_contexts = Table(
    "user_contexts",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("user_id", String(ID), primary_key=True),
    Column("lat", Float),
    Column("lon", Float),
    Column("context", Json, nullable=False),  # anything else the platform sends
    Column("updated_at", UTCDateTime, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("user_id", String(ID), nullable=False),
    Column("kind", String(16), nullable=False),  # nudge, reminder
    Column("trigger", String(32), nullable=False),
    Column("period", String(64), nullable=False),  # one message per user, trigger and period
    Column("channel", String(16), nullable=False),  # webhook, email, discord
    Column("priority", Integer, nullable=False, default=0),
    Column("subject", Text, nullable=False, default=""),
    Column("body", Text, nullable=False, default=""),
    Column("payload", Json, nullable=False),
    Column("status", String(16), nullable=False),  # pending, sent, failed, cancelled
    Column("attempts", Integer, nullable=False, default=0),
    Column("send_at", UTCDateTime, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("last_error", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("tenant_id", "user_id", "trigger", "period", name="uq_outbox_once"),
    Index("ix_outbox_due", "tenant_id", "status", "next_attempt_at"),
)

schedule_preferences = Table(
    "schedule_preferences",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("user_id", String(ID), primary_key=True),
    Column("config", Json, nullable=False),  # time of day, weekdays, session length
    Column("updated_at", UTCDateTime, nullable=False),
)

busy_times = Table(
    "busy_times",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(128), primary_key=True),
    Column("user_id", String(ID), nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("summary", Text, nullable=False, default=""),
    Column("source", String(256), nullable=False, default=""),  # the calendar it came from
    Index("ix_busy_times_user", "tenant_id", "user_id", "starts_at"),
)

availability = Table(
    "availability",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(128), primary_key=True),
    Column("item_id", String(ID), nullable=False),  # the mentor or other provider
    Column("weekday", Integer),  # 0 = Monday for weekly windows; None for one-off windows
    Column("start_time", String(5)),  # "HH:MM" local, weekly windows
    Column("end_time", String(5)),
    Column("timezone", String(64), nullable=False, default="UTC"),
    Column("starts_at", UTCDateTime),  # one-off windows
    Column("ends_at", UTCDateTime),
    Index("ix_availability_item", "tenant_id", "item_id"),
)

scheduled_sessions = Table(
    "scheduled_sessions",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("user_id", String(ID), nullable=False),
    Column("item_id", String(ID)),
    Column("title", Text, nullable=False, default=""),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),  # booked, cancelled
    Column("ai_scheduled", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_sessions_user", "tenant_id", "user_id", "starts_at"),
    Index("ix_sessions_item", "tenant_id", "item_id", "starts_at"),
)

plans = Table(
    "plans",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("user_id", String(ID), nullable=False),
    Column("week_of", String(10), nullable=False),  # ISO date of the week's Monday
    Column("request", Json, nullable=False),
    Column("events", Json, nullable=False),
    Column("summary", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_plans_user", "tenant_id", "user_id", "week_of"),
)

# --- Insights and experiments (migration 0006): impressions, A/B tests, the model gate.

impressions = Table(
    "impressions",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("list_id", String(64), nullable=False),  # one served list
    Column("user_id", String(ID), nullable=False),
    Column("item_id", String(ID), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("source", String(32), nullable=False, default=""),
    Column("model_version", String(64), nullable=False, default=""),
    Column("experiment", String(64)),
    Column("variant", String(32)),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_impressions_user_item", "tenant_id", "user_id", "item_id", "created_at"),
    Index("ix_impressions_time", "tenant_id", "created_at"),
)

experiments = Table(
    "experiments",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("variants", Json, nullable=False),  # name -> {share, settings}
    Column("config", Json, nullable=False),  # guard metric, stopping rule
    Column("status", String(16), nullable=False),  # running, stopped
    Column("stop_reason", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("stopped_at", UTCDateTime),
)

model_decisions = Table(
    "model_decisions",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("version", String(64), nullable=False),
    Column("decision", String(16), nullable=False),  # serve, candidate, rollback, forward
    Column("reason", Text, nullable=False, default=""),
    Column("metrics", Json, nullable=False),  # validation NDCG of candidate and serving
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_model_decisions_time", "tenant_id", "created_at"),
)
