"""`OpenAIEmbedder`: any OpenAI-compatible `/embeddings` endpoint (Ollama, vLLM, llama.cpp,
hosted APIs)."""

from __future__ import annotations

import numpy as np

from rapport.core.vectors.embedder import normalise


class OpenAIEmbedder:
    """Texts go to the configured endpoint in batches; vectors come back normalised."""

    def __init__(
        self, model: str, base_url: str | None, api_key: str | None, batch_size: int = 64
    ) -> None:
        from openai import OpenAI  # the SDK is heavy: only set-ups that use it pay for it

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
