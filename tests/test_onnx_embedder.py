"""ONNX back end of MiniLM: exported once into a temporary cache, close to torch, reloaded
from the cache without a second export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rapport.core.config import Settings
from rapport.core.vectors.local import SentenceTransformerEmbedder
from rapport.core.vectors.model_files import MINILM
from rapport.core.vectors.onnx_runtime import OnnxEmbedder
from rapport.core.vectors.registry import make_embedder

SENTENCES = [
    "How do I renew my passport before travelling abroad?",
    "The cat slept on the warm windowsill all afternoon.",
    "Quarterly revenue grew 12% thanks to subscription sales.",
    "a",
    "Gluons bind quarks together inside protons and neutrons. " * 30,  # past 256 tokens
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def int8(cache: Path) -> OnnxEmbedder:
    embedder = OnnxEmbedder(MINILM, cache, quantize=True)
    embedder.embed(["warm up: exports and quantises once for the module"])
    return embedder


def test_int8_vectors_match_torch(int8: OnnxEmbedder, minilm: SentenceTransformerEmbedder) -> None:
    onnx_vectors = int8.embed(SENTENCES)
    torch_vectors = minilm.embed(SENTENCES)
    assert onnx_vectors.dtype == np.float32
    assert onnx_vectors.shape == (len(SENTENCES), 384) and int8.dim == 384
    assert np.allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)
    cosines = (onnx_vectors * torch_vectors).sum(axis=1)
    assert cosines.min() > 0.98
    # Dynamic int8 scales activations per batch, so batch mates move a vector slightly
    # (cosine ~0.99); order within the batch must not matter at all.
    alone = np.vstack([int8.embed([text]) for text in SENTENCES])
    assert (alone * onnx_vectors).sum(axis=1).min() > 0.98
    assert np.allclose(int8.embed(SENTENCES[::-1])[::-1], onnx_vectors, atol=1e-6)
    assert int8.embed([]).shape == (0, 384)


def test_names_keep_backends_apart(cache: Path, int8: OnnxEmbedder) -> None:
    assert int8.name == "all-MiniLM-L6-v2+onnx-int8-v2"
    # fp32 vectors equal the torch ones, so they share the torch model's name.
    assert OnnxEmbedder(MINILM, cache, quantize=False).name == MINILM
    settings = Settings(data=cache.parent / "data", embedding_cache=cache, embedding_batch_size=16)
    built = make_embedder(settings)  # ONNX fp32 is the default provider
    assert isinstance(built, OnnxEmbedder)
    assert built.cache_dir == cache and not built.quantize
    assert built.batch_size == 16 and built.name == MINILM
    for provider in ("onnx-int8", "onnx"):  # "onnx" is the earlier name of int8
        small = make_embedder(settings.model_copy(update={"embedding_provider": provider}))
        assert isinstance(small, OnnxEmbedder) and small.quantize and small.name == int8.name


def test_export_cache_is_per_user_not_per_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    for data in ("one", "two"):
        built = make_embedder(Settings(data=tmp_path / data))
        assert isinstance(built, OnnxEmbedder)
        assert built.cache_dir == tmp_path / "xdg" / "rapport" / "onnx"
    monkeypatch.setenv("RAPPORT_EMBEDDING_CACHE", str(tmp_path / "elsewhere"))
    built = make_embedder(Settings.load(data=tmp_path / "one"))
    assert isinstance(built, OnnxEmbedder) and built.cache_dir == tmp_path / "elsewhere"


def test_second_construction_loads_from_cache(cache: Path, int8: OnnxEmbedder) -> None:
    files = sorted(cache.rglob("*.onnx"))
    assert [f.name for f in files] == ["model.onnx", "model_int8_per_channel.onnx"]
    assert not list(cache.rglob("*.tmp"))  # no leftovers of the atomic writes
    before = {f: f.stat().st_mtime_ns for f in files}
    again = OnnxEmbedder(MINILM, cache, quantize=True)
    assert again.onnx_path() == int8.onnx_path()
    vectors = again.embed(SENTENCES[:2])
    assert {f: f.stat().st_mtime_ns for f in files} == before
    assert sorted(cache.rglob("*.onnx")) == files
    assert np.allclose(vectors, int8.embed(SENTENCES[:2]), atol=1e-6)


def test_export_tools_leave_the_root_logger_alone() -> None:
    """onnxruntime's tools call `logging.warning`, which installs a stderr handler on the
    root logger for the whole process (then bm25s's debug lines printed)."""
    import logging

    from rapport.core.vectors.onnx_export import root_logging_kept

    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    with root_logging_kept():
        # What `logging.basicConfig` (called by `logging.warning` on a bare root) does.
        root.addHandler(logging.StreamHandler())
        root.setLevel(logging.DEBUG)
    assert root.handlers == before and root.level == level
