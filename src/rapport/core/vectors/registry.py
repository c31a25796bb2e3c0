"""The embedding providers, by the name `embedding_provider` selects them with."""

from __future__ import annotations

from collections.abc import Callable

from rapport.core.config import Settings
from rapport.core.vectors.embedder import Embedder


def _torch(settings: Settings) -> Embedder:
    from rapport.core.vectors.local import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(settings.embedding_model, settings.embedding_batch_size)


def _onnx(settings: Settings) -> Embedder:
    from rapport.core.vectors.onnx_export import default_cache_dir
    from rapport.core.vectors.onnx_runtime import OnnxEmbedder

    # The export is a function of the model files and the recipe, not of the data: one per
    # machine (per user), keyed by both, so new data directories never export again.
    return OnnxEmbedder(
        settings.embedding_model,
        settings.embedding_cache or default_cache_dir(),
        quantize=settings.embedding_provider in ("onnx-int8", "onnx"),
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
    "onnx-fp32": _onnx,
    "onnx-int8": _onnx,
    "onnx": _onnx,  # the earlier name of onnx-int8
    "openai": _openai,
}
"""Provider name -> factory. Each factory imports its back end only when it is chosen."""


def make_embedder(settings: Settings) -> Embedder:
    return EMBEDDERS[settings.embedding_provider](settings)
