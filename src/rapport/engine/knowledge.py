"""`engine.kb`: the tenant's knowledge base and grounded answers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from rapport.core.models import Deleted, Document, Page
from rapport.core.requests import page
from rapport.core.store.documents import DocumentSummary
from rapport.engine.services import Services
from rapport.services.knowledge.answer import Answer
from rapport.services.knowledge.base import KnowledgeReport
from rapport.services.knowledge.search import DocumentSearch, KnowledgeStats

Progress = Callable[[int], None]


class KnowledgeArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def add(
        self,
        paths: Sequence[Path | str],
        *,
        tenant: str | None = None,
        progress: Progress | None = None,
    ) -> KnowledgeReport:
        """Add files or folders (.txt .md .html .pdf .docx .jsonl); unchanged documents are
        skipped, changed ones re-chunked. Retrieval settings are chosen again when the
        corpus changed materially."""
        tenant = self._s.tenant(tenant)
        return self._retune(tenant, self._s.knowledge.add_paths(tenant, paths, progress))

    def add_records(
        self, records: Iterable[dict[str, Any] | Document], *, tenant: str | None = None
    ) -> KnowledgeReport:
        """Add documents given as `{"id", "title", "text", "metadata"}` records."""
        tenant = self._s.tenant(tenant)
        return self._retune(tenant, self._s.knowledge.add_records(tenant, records))

    def _retune(self, tenant: str, report: KnowledgeReport) -> KnowledgeReport:
        choice = self._s.knowledge_search.choose(tenant)
        report.retrieval = choice.label
        return report

    def index(self, *, tenant: str | None = None) -> int:
        """Embed the chunks an interrupted `add` left without vectors; returns how many."""
        return self._s.knowledge.finish_embedding(self._s.tenant(tenant))

    def stats(self, *, tenant: str | None = None) -> KnowledgeStats:
        """What the tenant's knowledge base holds and the retrieval settings chosen for it."""
        return self._s.knowledge_search.stats(self._s.tenant(tenant))

    def list(
        self, *, tenant: str | None = None, limit: int = 50, offset: int = 0
    ) -> Page[DocumentSummary]:
        checked = page(limit, offset)
        return self._s.knowledge.list(self._s.tenant(tenant), checked.limit, checked.offset)

    def get(self, document_id: str, *, tenant: str | None = None) -> Document:
        return self._s.knowledge.get(self._s.tenant(tenant), document_id)

    def remove(self, document_id: str, *, tenant: str | None = None) -> Deleted:
        """Delete a document with its chunks and their vectors."""
        tenant = self._s.tenant(tenant)
        removed = self._s.knowledge.remove(tenant, document_id)
        self._s.knowledge_search.choose(tenant)
        return removed

    def search(self, query: str, k: int = 5, *, tenant: str | None = None) -> DocumentSearch:
        """The best `k` documents for `query`, each with its best chunk."""
        return self._s.knowledge_search.search(self._s.tenant(tenant), query, k)

    def ask(
        self,
        question: str,
        *,
        user_id: str | None = None,
        locale: str | None = None,
        tenant: str | None = None,
    ) -> Answer:
        """A grounded answer with citations. Users who opted out of AI features, and set-ups
        without a language model, get the extractive answer. The question is crisis-screened
        first: at high severity the answer is the tenant's crisis message and resources for
        `locale` (mode `crisis`), nothing is generated and a human is alerted."""
        tenant = self._s.tenant(tenant)
        allow = self._s.llm_allowed_for(tenant, user_id)
        check = self._s.crisis_guard.check(
            tenant, question, source="ask", user_id=user_id, locale=locale
        )
        if check.blocked and check.reply is not None:
            return Answer(question=question, answer=check.reply.text, mode="crisis", safety=check)
        answer = self._s.answerer.ask(tenant, question, allow_generation=allow)
        if check.screening.category is not None:
            answer.safety = check
        generated = answer.mode == "generated"
        self._s.audit.record(
            tenant,
            "answer",
            user_id=user_id,
            model=self._s.gateway.model if generated else answer.mode,
            prompt=question,
            output=answer.answer,
        )
        return answer
