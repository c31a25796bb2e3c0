"""`SentenceTransformerEmbedder`: a sentence-transformers model on torch, from local files."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from rapport.core.vectors.embedder import normalise
from rapport.core.vectors.model_files import MINILM, resolve_model_path

log = structlog.get_logger(__name__)

# Loaded weights per model path, shared by every embedder in the process: engines built
# one after the other (CLI commands, tests, workers) load a model once.
_LOADED: dict[str, Any] = {}
_LOCK = threading.Lock()


def _load(path: str) -> Any:
    with _LOCK:
        if path not in _LOADED:
            # Runtime never reaches a model hub: weights come from disk only.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
            if not Path(path).exists():
                raise FileNotFoundError(f"embedding model not found on disk: {path}")
            log.info("loading embedding model", path=path)
            _LOADED[path] = SentenceTransformer(path, device="cpu")
        return _LOADED[path]


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local path, on the CPU, never from a hub.
    The weights load on the first call that needs them."""

    def __init__(self, model: str = MINILM, batch_size: int = 64) -> None:
        self.name = model
        self.batch_size = batch_size

    def _model(self) -> Any:
        return _load(resolve_model_path(self.name))

    @property
    def dim(self) -> int:
        model = self._model()
        # sentence-transformers 6 renamed the method; older releases only have the old name.
        getter = getattr(model, "get_embedding_dimension", None)
        if getter is None:
            getter = model.get_sentence_embedding_dimension
        return int(getter())

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model().encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return normalise(vectors)
