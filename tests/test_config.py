"""Settings: defaults, file, environment and explicit values, in that priority."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from rapport.core.config import Settings


def test_defaults_use_embedded_sqlite(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.load()
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'rapport-data' / 'rapport.db'}"
    assert not settings.is_postgres and settings.tenant == "default"
    assert settings.llm_provider == "none"


def test_priority_file_env_explicit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "rapport.toml").write_text(
        '[rapport]\ntenant = "from-file"\nembedding_batch_size = 8\nlog_level = "debug"\n'
    )
    monkeypatch.setenv("RAPPORT_EMBEDDING_BATCH_SIZE", "16")
    settings = Settings.load(data=tmp_path)
    assert (settings.tenant, settings.embedding_batch_size, settings.log_level) == (
        "from-file",
        16,
        "debug",
    )
    assert Settings.load(data=tmp_path, tenant="explicit").tenant == "explicit"
    monkeypatch.setenv("RAPPORT_DATABASE_URL", "postgresql://u@localhost/db")
    assert Settings.load(data=tmp_path).is_postgres


def test_typos_and_bad_values_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="embeding_model"):
        Settings.load(data=tmp_path, embeding_model="x")
    with pytest.raises(ValidationError, match="tenant"):
        Settings.load(data=tmp_path, tenant="two words")
    (tmp_path / "rapport.toml").write_text('[rapport]\nvector_index = "faster"\n')
    with pytest.raises(ValidationError, match="vector_index"):
        Settings.load(data=tmp_path)


def test_signal_weights_reach_the_recommender(tmp_path: Path) -> None:
    from rapport.core.models import Event
    from rapport.engine import Engine

    with Engine(data=tmp_path, signal_weights={"share": 0.7, "click": 0.0}) as engine:
        signals = engine.recommender.config.signals
        assert signals.strength(Event(user_id="u", item_id="i", type="share")) == 0.7
        assert signals.strength(Event(user_id="u", item_id="i", type="click")) == 0.0
        assert signals.strength(Event(user_id="u", item_id="i", type="purchase")) == 1.0
