"""Embeddings through an OpenAI-compatible endpoint, over real HTTP with the real SDK."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rapport.core.store.repository import Store
from rapport.core.vectors.remote import OpenAIEmbedder
from rapport.engine import Engine
from tests.openai_stub import DIM


def test_openai_embedder_batches_orders_and_normalises(stub_url: tuple[str, object]) -> None:
    url, app = stub_url
    embedder = OpenAIEmbedder("nomic-embed-text", url, "test-key", batch_size=2)
    matrix = embedder.embed(["jazz concert", "jazz concert club", "python course"])
    assert matrix.shape == (3, DIM) and embedder.dim == DIM
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0)
    assert matrix[0] @ matrix[1] > matrix[0] @ matrix[2]  # rows came back in input order
    assert app.state.requests == [2, 1]  # type: ignore[attr-defined]


def test_engine_uses_configured_endpoint(stub_url: tuple[str, object], tmp_path: Path) -> None:
    url, _ = stub_url
    with Engine(
        data=tmp_path,
        embedding_provider="openai",
        embedding_model="nomic-embed-text",
        embedding_base_url=url,
        embedding_api_key="test-key",
    ) as engine:
        engine.items.add(
            [
                {"id": "a", "title": "jazz concert tonight"},
                {"id": "b", "title": "python course"},
                {"id": "c", "title": "late jazz club concert"},
            ]
        )
        assert [h.item_id for h in engine.items.similar("a", k=2)] == ["c", "b"]
    with Store(f"sqlite:///{tmp_path / 'rapport.db'}") as store:
        stored = store.load_vectors("default", "item", "nomic-embed-text")
        assert len(stored) == 3 and stored[0].vector.shape == (DIM,)


def test_wrong_key_is_a_clear_error(stub_url: tuple[str, object]) -> None:
    url, _ = stub_url
    from openai import AuthenticationError

    with pytest.raises(AuthenticationError):
        OpenAIEmbedder("m", url, "wrong").embed(["x"])
