"""A second-stage re-ranker: a model that reads each (query, passage) pair together and
scores it, served by a self-hosted server over the rerank protocol that vLLM, llama.cpp's
server, Infinity, LocalAI, Jina and Cohere share: `POST {base_url}/rerank` with
`{model, query, documents, top_n}`, answered by `{"results": [{"index", "relevance_score"}]}`.

Optional. No re-ranking model can be installed offline with rapport, so retrieval is
hybrid-PRF alone unless `[retriever.reranker] base_url` names a server. The re-ranker
reorders the top `depth` chunks of the hybrid ranking; when it fails, that ranking stands
(answers never depend on it being up)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
    """Base URL of the rerank server (e.g. `http://localhost:8000/v1` for vLLM); unset, no
    re-ranking."""
    model: str = ""
    """Model name on that server (e.g. `BAAI/bge-reranker-v2-m3`)."""
    api_key: str | None = None
    """Sent as a bearer token; local servers usually ignore it."""
    depth: int = Field(default=30, ge=1, le=1000)
    """Top chunks of the hybrid ranking the re-ranker reorders."""
    timeout: float = Field(default=10.0, gt=0)
    """Seconds to wait for the server before keeping the hybrid ranking."""

    @property
    def enabled(self) -> bool:
        return bool(self.base_url)


class RerankError(Unavailable):
    """The server failed or answered outside the protocol."""


class Reranker:
    """Client of one rerank server."""

    def __init__(
        self, config: RerankerConfig, transport: httpx.BaseTransport | None = None
    ) -> None:
        if not config.base_url:
            raise ValueError("a re-ranker needs [retriever.reranker] base_url")
        self.config = config
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._client = httpx.Client(
            base_url=config.base_url.rstrip("/"),
            headers=headers,
            timeout=config.timeout,
            transport=transport,
        )

    def scores(self, query: str, passages: Sequence[str]) -> list[float]:
        """Relevance of each passage to `query`, in the passages' order."""
        if not passages:
            return []
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

    def rerank(
        self,
        query: str,
        hits: Sequence[Hit],
        text: Callable[[str], str],
        *,
        strict: bool = False,
    ) -> list[Hit]:
        """`hits` with the top `depth` reordered by the re-ranker and scored by it, the rest
        after them as they were; `hits` unchanged when the server fails, unless `strict`
        (a benchmark must not measure the fallback under the re-ranker's name)."""
        head, tail = list(hits[: self.config.depth]), list(hits[self.config.depth :])
        try:
            relevance = self.scores(query, [text(chunk) for chunk, _ in head])
        except RerankError as exc:
            if strict:
                raise
            log.warning("re-ranking skipped", error=str(exc))
            return list(hits)
        order = sorted(range(len(head)), key=lambda n: -relevance[n])  # stable: ties keep order
        return [(head[n][0], relevance[n]) for n in order] + tail

    def close(self) -> None:
        self._client.close()
