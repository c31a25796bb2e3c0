"""A second-stage re-ranker: a model that reads each (query, passage) pair together and
scores it, which a bi-encoder and BM25 cannot. Two back ends:

- a self-hosted server, over the rerank protocol that vLLM, llama.cpp's server, Infinity,
  LocalAI, Jina and Cohere share: `POST {base_url}/rerank` with `{model, query, documents,
  top_n}`, answered by `{"results": [{"index", "relevance_score"}]}`;
- a cross-encoder on disk, run in process by sentence-transformers (`model` a local path,
  no `base_url`).

Optional. No re-ranking model can be installed offline with rapport, so retrieval is
hybrid-PRF alone unless `[retriever.reranker]` names one. The re-ranker reorders the top
`depth` chunks of the hybrid ranking; when it fails, that ranking stands (answers never
depend on it)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import structlog
from pydantic import Field

from rapport.core.components import ComponentConfig
from rapport.core.errors import Unavailable

log = structlog.get_logger(__name__)

Hit = tuple[str, float]


class RerankerConfig(ComponentConfig):
    """The `[retriever.reranker]` settings section."""

    base_url: str | None = None
    """Base URL of a rerank server (e.g. `http://localhost:8000/v1` for vLLM)."""
    model: str = ""
    """With `base_url`, the model name on that server (e.g. `BAAI/bge-reranker-v2-m3`);
    without, the path of a cross-encoder to run in process. Neither: no re-ranking."""
    api_key: str | None = None
    """Sent to the server as a bearer token; local servers usually ignore it."""
    depth: int = Field(default=30, ge=1, le=1000)
    """Top chunks of the hybrid ranking the re-ranker reorders."""
    timeout: float = Field(default=10.0, gt=0)
    """Seconds to wait for the server before keeping the hybrid ranking."""

    @property
    def enabled(self) -> bool:
        return bool(self.base_url or self.model)


class RerankError(Unavailable):
    """The re-ranker failed or answered outside the protocol."""


class Reranker(ABC):
    """Scores (query, passage) pairs; reorders the head of a ranking by them."""

    def __init__(self, config: RerankerConfig) -> None:
        self.config = config

    @abstractmethod
    def scores(self, query: str, passages: Sequence[str]) -> list[float]:
        """Relevance of each passage to `query`, in the passages' order."""

    def rerank(
        self,
        query: str,
        hits: Sequence[Hit],
        text: Callable[[str], str],
        *,
        strict: bool = False,
    ) -> list[Hit]:
        """`hits` with the top `depth` reordered by the re-ranker and scored by it, the rest
        after them as they were; `hits` unchanged when the re-ranker fails, unless `strict`
        (a benchmark must not measure the fallback under the re-ranker's name)."""
        head, tail = list(hits[: self.config.depth]), list(hits[self.config.depth :])
        try:
            relevance = self.scores(query, [text(chunk) for chunk, _ in head]) if head else []
        except RerankError as exc:
            if strict:
                raise
            log.warning("re-ranking skipped", error=str(exc))
            return list(hits)
        order = sorted(range(len(head)), key=lambda n: -relevance[n])  # stable: ties keep order
        return [(head[n][0], relevance[n]) for n in order] + tail


def make_reranker(config: RerankerConfig) -> Reranker:
    """The back end `config` names: a server when it has a `base_url`, else a local model."""
    if config.base_url:
        return ServerReranker(config)
    if config.model:
        return LocalReranker(config)
    raise ValueError("a re-ranker needs [retriever.reranker] base_url or model")


class ServerReranker(Reranker):
    """Client of one rerank server."""

    def __init__(self, config: RerankerConfig) -> None:
        super().__init__(config)
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._client = httpx.Client(
            base_url=(config.base_url or "").rstrip("/"), headers=headers, timeout=config.timeout
        )

    def scores(self, query: str, passages: Sequence[str]) -> list[float]:
        body = {
            "model": self.config.model,
            "query": query,
            "documents": list(passages),
            "top_n": len(passages),
        }
        try:
            response = self._client.post("/rerank", json=body)
            response.raise_for_status()
            results = response.json()["results"]
            found = {int(r["index"]): float(r["relevance_score"]) for r in results}
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise RerankError(f"re-ranker at {self.config.base_url}: {exc}") from exc
        if sorted(found) != list(range(len(passages))):
            raise RerankError(
                f"re-ranker at {self.config.base_url} scored {len(found)} of "
                f"{len(passages)} passages"
            )
        return [found[n] for n in range(len(passages))]


class LocalReranker(Reranker):
    """A cross-encoder from a local path, run on the CPU in this process."""

    def __init__(self, config: RerankerConfig) -> None:
        super().__init__(config)
        self._model: Any = None

    def scores(self, query: str, passages: Sequence[str]) -> list[float]:
        if self._model is None:  # loaded on first use: torch is heavy
            from sentence_transformers import CrossEncoder

            try:
                self._model = CrossEncoder(self.config.model, device="cpu", local_files_only=True)
            except (OSError, ValueError) as exc:
                raise RerankError(f"re-ranker model {self.config.model}: {exc}") from exc
        pairs = [(query, passage) for passage in passages]
        return [float(score) for score in self._model.predict(pairs, show_progress_bar=False)]
