"""The embedding providers, by the name `embedding_provider` selects them with."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rapport.core.config import Settings
from rapport.core.vectors.embedder import Embedder


def _torch(settings: Settings) -> Embedder:
    from rapport.core.vectors.local import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(settings.embedding_model, settings.embedding_batch_size)


def _onnx(settings: Settings) -> Embedder:
    from rapport.core.vectors.onnx_runtime import OnnxEmbedder

    # The export cache lives in the data directory, beside the vectors it produces.
    return OnnxEmbedder(
        settings.embedding_model,
        Path(settings.data) / "cache" / "onnx",
        batch_size=settings.embedding_batch_size,
    )


def _openai(settings: Settings) -> Embedder:
    from rapport.core.vectors.remote import OpenAIEmbedder

    return OpenAIEmbedder(
        settings.embedding_model,
        settings.embedding_base_url,
        settings.embedding_api_key,
        settings.embedding_batch_size,
    )


EMBEDDERS: dict[str, Callable[[Settings], Embedder]] = {
    "sentence-transformers": _torch,
    "onnx": _onnx,
    "openai": _openai,
}
"""Provider name -> factory. Each factory imports its back end only when it is chosen."""


def make_embedder(settings: Settings) -> Embedder:
    return EMBEDDERS[settings.embedding_provider](settings)
