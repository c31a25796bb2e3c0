"""Settings: defaults, file, environment and explicit values, in that priority."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from rapport.core.config import Settings
from rapport.core.models import Event
from rapport.core.vectors.local import SentenceTransformerEmbedder
from rapport.engine import Engine
from rapport.engine.services import Services


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


def test_component_sections_from_file_reach_the_engine(tmp_path: Path) -> None:
    (tmp_path / "rapport.toml").write_text(
        "[rapport]\ntenant = 'shop'\n\n"
        "[recommender]\ncold_start_below = 3\n\n"
        "[recommender.signals.weights]\nshare = 0.7\nclick = 0.0\n\n"
        "[training]\nmodel = 'ease'\n\n[training.tuning]\nholdout = 0.3\n\n"
        "[retriever]\nprf_depth = 0\n\n[chunking]\nsize = 400\noverlap = 50\n"
    )
    settings = Settings.load(data=tmp_path)
    assert settings.tenant == "shop" and settings.recommender["cold_start_below"] == 3
    services = Services(settings, embedder=SentenceTransformerEmbedder())
    signals = services.recommender.config.signals
    assert signals.strength(Event(user_id="u", item_id="i", type="share")) == pytest.approx(0.7)
    assert signals.strength(Event(user_id="u", item_id="i", type="click")) == 0.0
    assert signals.strength(Event(user_id="u", item_id="i", type="purchase")) == 1.0
    assert services.recommender.config.cold_start_below == 3
    assert services.training_config.model == "ease"
    assert services.training_config.tuning.holdout == 0.3
    assert services.knowledge_search.config.prf_depth == 0
    assert services.knowledge.chunker.config.size == 400
    services.close()


def test_bad_component_settings_name_their_section(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\[training\]: model: .*unknown model 'bert'"):
        Engine(data=tmp_path, training={"model": "bert"})
    with pytest.raises(ValueError, match=r"\[retriever\]: prf_deepth: Extra inputs"):
        Engine(data=tmp_path, retriever={"prf_deepth": 2})
    (tmp_path / "rapport.toml").write_text("[recomender]\ncold_start_below = 3\n")
    with pytest.raises(ValueError, match=r"unknown table.*recomender"):
        Settings.load(data=tmp_path)
