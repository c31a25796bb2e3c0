"""`Engine`: the one object the API, the CLI and library users call.

Each public method is an operation with the same name in every interface.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from rapport.core.config import Settings, check_tenant
from rapport.core.errors import FieldError, InvalidInput
from rapport.core.llm import LLMGateway
from rapport.core.logging import configure_logging
from rapport.core.models import Document, Event, Item, Page, User, utcnow
from rapport.core.store.documents import DocumentSummary
from rapport.core.store.repository import ItemQuery, Store
from rapport.core.vectors.embedder import Embedder
from rapport.core.vectors.index import VectorIndex, make_index
from rapport.core.vectors.registry import make_embedder
from rapport.services.catalog import Catalog, SimilarItem
from rapport.services.ingest import (
    ImportReport,
    RawRecord,
    body_records,
    file_records,
    validate,
)
from rapport.services.insights import Insights, InsightsConfig, build_insights
from rapport.services.knowledge.answer import Answer, Answerer
from rapport.services.knowledge.base import KnowledgeBase, KnowledgeReport
from rapport.services.knowledge.search import DocumentHit, KnowledgeSearch
from rapport.services.recommend.artifacts import (
    ModelRegistry,
    TrainedModel,
    list_versions,
    read_manifest,
    save_model,
)
from rapport.services.recommend.context import RecommendRequest
from rapport.services.recommend.frame import FrameCache
from rapport.services.recommend.interactions import Interactions
from rapport.services.recommend.recommender import (
    Recommendation,
    Recommender,
    RecommenderConfig,
)
from rapport.services.recommend.signals import SignalWeights
from rapport.services.recommend.training import TrainingConfig, train
from rapport.services.search.items import ItemSearch, SearchRequest, SearchResult

RecordKind = Literal["items", "users", "events"]
Progress = Callable[[int], None]


class Engine:
    """Composes storage, vectors and services for one configuration."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        **overrides: Any,
    ) -> None:
        self.settings = settings or Settings.load(**overrides)
        configure_logging(self.settings.log_level)
        self.store = Store(self.settings.sqlalchemy_url)
        self.embedder = embedder or make_embedder(self.settings)
        self.index: VectorIndex = make_index(
            self.store, self.embedder.name, self.settings.vector_index
        )
        self.catalog = Catalog(self.store, self.embedder, self.index)
        self.frames = FrameCache(self.store, self.index, self.embedder.name)
        self.models = ModelRegistry(self.settings.data)
        signals = SignalWeights()
        signals.weights.update(self.settings.signal_weights)
        self.recommender = Recommender(
            self.store, self.embedder, self.frames, self.models, RecommenderConfig(signals=signals)
        )
        self.item_search = ItemSearch(self.embedder, self.frames, self.recommender)
        self.gateway = LLMGateway.from_settings(self.settings)
        self.knowledge = KnowledgeBase(self.store, self.embedder, self.index)
        self.knowledge_search = KnowledgeSearch(self.knowledge)
        self.answerer = Answerer(self.knowledge_search, self.embedder, self.gateway)

    def close(self) -> None:
        self.gateway.close()
        self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def tenant(self, tenant: str | None = None) -> str:
        """The tenant to act on: the given one (validated) or the configured default."""
        if tenant is None or tenant == self.settings.tenant:
            return self.settings.tenant
        try:
            return check_tenant(tenant)
        except ValueError as exc:
            raise InvalidInput([FieldError("request", "tenant", str(exc))]) from exc

    # -- ingestion -------------------------------------------------------------------------

    def add_items(
        self,
        records: Iterable[dict[str, Any] | Item],
        *,
        tenant: str | None = None,
        skip_invalid: bool = False,
        index: bool = True,
    ) -> ImportReport:
        """Create or replace items. With `index`, their vectors are refreshed right away."""
        return self._ingest("items", _raw(records), tenant, skip_invalid, index=index)

    def add_users(
        self,
        records: Iterable[dict[str, Any] | User],
        *,
        tenant: str | None = None,
        skip_invalid: bool = False,
    ) -> ImportReport:
        """Create or replace users."""
        return self._ingest("users", _raw(records), tenant, skip_invalid)

    def add_events(
        self,
        records: Iterable[dict[str, Any] | Event],
        *,
        tenant: str | None = None,
        skip_invalid: bool = False,
    ) -> ImportReport:
        """Record interactions. Event ids already stored are skipped, so retries are safe."""
        return self._ingest("events", _raw(records), tenant, skip_invalid)

    def import_file(
        self,
        kind: RecordKind,
        path: Path | str,
        *,
        tenant: str | None = None,
        skip_invalid: bool = False,
        index: bool = True,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import a JSONL or CSV file of items, users or events."""
        return self._ingest(
            kind, file_records(Path(path)), tenant, skip_invalid, index=index, progress=progress
        )

    def _ingest(
        self,
        kind: RecordKind,
        records: Iterable[RawRecord],
        tenant: str | None,
        skip_invalid: bool,
        *,
        index: bool = True,
        progress: Progress | None = None,
    ) -> ImportReport:
        tenant = self.tenant(tenant)
        raw = list(records)
        report = ImportReport(received=len(raw))
        if kind == "items":
            items, report.invalid = validate(Item, raw, skip_invalid=skip_invalid)
            report.written = self.store.upsert_items(tenant, items, progress)
            if index and items:
                self.catalog.index_items(tenant, items, progress=progress)
        elif kind == "users":
            users, report.invalid = validate(User, raw, skip_invalid=skip_invalid)
            report.written = self.store.upsert_users(tenant, users, progress)
        else:
            events, report.invalid = validate(Event, raw, skip_invalid=skip_invalid)
            report.written = self.store.add_events(tenant, events, progress)
            report.duplicates = len(events) - report.written
        return report

    def index_items(self, *, tenant: str | None = None, progress: Progress | None = None) -> int:
        """Embed every item whose text changed since it was last embedded."""
        return self.catalog.index_items(self.tenant(tenant), progress=progress)

    # -- records ---------------------------------------------------------------------------

    def get_item(self, item_id: str, *, tenant: str | None = None) -> Item:
        return self.store.get_item(self.tenant(tenant), item_id)

    def list_items(
        self,
        query: ItemQuery | None = None,
        *,
        tenant: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[Item]:
        return self.store.list_items(self.tenant(tenant), query, limit=limit, offset=offset)

    def delete_item(self, item_id: str, *, tenant: str | None = None) -> None:
        self.store.delete_item(self.tenant(tenant), item_id)

    def get_user(self, user_id: str, *, tenant: str | None = None) -> User:
        return self.store.get_user(self.tenant(tenant), user_id)

    def list_users(
        self, *, tenant: str | None = None, limit: int = 50, offset: int = 0
    ) -> Page[User]:
        return self.store.list_users(self.tenant(tenant), limit=limit, offset=offset)

    def delete_user(self, user_id: str, *, tenant: str | None = None) -> dict[str, int]:
        """Delete a user with their events and vectors (delete-my-data)."""
        return self.store.delete_user(self.tenant(tenant), user_id)

    def list_events(
        self,
        *,
        user_id: str | None = None,
        tenant: str | None = None,
        limit: int | None = 100,
        newest_first: bool = True,
    ) -> list[Event]:
        return self.store.list_events(
            self.tenant(tenant), user_id=user_id, limit=limit, newest_first=newest_first
        )

    def similar_items(
        self,
        item_id: str,
        k: int = 10,
        query: ItemQuery | None = None,
        *,
        tenant: str | None = None,
    ) -> list[SimilarItem]:
        return self.catalog.similar_items(self.tenant(tenant), item_id, k, query)

    # -- recommendation --------------------------------------------------------------------

    def recommend(
        self,
        user_id: str,
        request: RecommendRequest | None = None,
        *,
        tenant: str | None = None,
        **options: Any,
    ) -> list[Recommendation]:
        """Items for one user, with reasons. `options` are `RecommendRequest` fields."""
        request = request or RecommendRequest.model_validate(options)
        return self.recommender.recommend(self.tenant(tenant), user_id, request)

    def recommend_group(
        self,
        user_ids: Sequence[str],
        request: RecommendRequest | None = None,
        *,
        tenant: str | None = None,
        **options: Any,
    ) -> list[Recommendation]:
        """One list for several users at once (least misery blended with the mean)."""
        request = request or RecommendRequest.model_validate(options)
        return self.recommender.recommend_group(self.tenant(tenant), list(user_ids), request)

    def interactions(self, *, tenant: str | None = None) -> Interactions:
        """Every event of the tenant, aggregated per (user, item): the training input."""
        tenant = self.tenant(tenant)
        events = self.store.list_events(tenant)
        return Interactions.from_events(events, self.recommender.config.signals)

    def train(
        self,
        *,
        tenant: str | None = None,
        config: TrainingConfig | None = None,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Fit the recommender on all events, choosing its settings on a time-ordered
        validation split; the new version serves immediately. Returns its manifest."""
        tenant = self.tenant(tenant)
        events = self.store.count_events(tenant)
        data = self.interactions(tenant=tenant)
        if len(data) == 0:
            raise ValueError(f"tenant '{tenant}' has no item events to train on")
        result = train(data, config, progress)
        now = utcnow()
        manifest = {
            "version": now.strftime("%Y%m%dT%H%M%S%fZ"),
            "created_at": now.isoformat(),
            "tenant": tenant,
            "training": {"events": events, **result.stats, "seconds": round(result.seconds, 2)},
            "validation": {
                "ndcg@10": round(result.validation_ndcg, 5),
                "baseline_ndcg@10": round(result.baseline_ndcg, 5),
                "configurations_tried": len(result.tried),
            },
            "weights": result.model.weights(),
            "core": result.model.state.core_kind,
        }
        save_model(self.settings.data, tenant, TrainedModel(result.model, manifest))
        return read_manifest(self.settings.data, tenant) or manifest

    def model_info(
        self, *, tenant: str | None = None, version: str | None = None
    ) -> dict[str, Any] | None:
        """The manifest of the current (or a named) trained model; None before training."""
        return read_manifest(self.settings.data, self.tenant(tenant), version)

    def model_versions(self, *, tenant: str | None = None) -> list[str]:
        return list_versions(self.settings.data, self.tenant(tenant))

    def insights(
        self, user_id: str, *, tenant: str | None = None, config: InsightsConfig | None = None
    ) -> Insights:
        """What a user's history says about their tastes, and whether it drifted."""
        tenant = self.tenant(tenant)
        user = self.store.get_user(tenant, user_id)
        events = self.store.list_events(tenant, user_id=user_id)
        ids = [e.item_id for e in events if e.item_id]
        items = {item.id: item for item in self.store.get_items(tenant, ids)}
        return build_insights(user, events, items, self.recommender.config.signals, config)

    def search(
        self, q: str | SearchRequest, *, tenant: str | None = None, **options: Any
    ) -> SearchResult:
        """Search items in natural language ("vegan food offers near me tonight under 20"):
        filters are read from the query, the rest is matched by hybrid retrieval."""
        request = q if isinstance(q, SearchRequest) else SearchRequest(q=q, **options)
        return self.item_search.search(self.tenant(tenant), request, utcnow())

    # -- knowledge ---------------------------------------------------------------------------

    def kb_add(
        self,
        paths: Sequence[Path | str],
        *,
        tenant: str | None = None,
        progress: Progress | None = None,
    ) -> KnowledgeReport:
        """Add files or folders (.txt .md .html .pdf .docx .jsonl) to the knowledge base;
        unchanged documents are skipped, changed ones re-chunked."""
        return self.knowledge.add_paths(self.tenant(tenant), paths, progress)

    def kb_add_records(
        self, records: Iterable[dict[str, Any] | Document], *, tenant: str | None = None
    ) -> KnowledgeReport:
        """Add documents given as `{"id", "title", "text", "metadata"}` records."""
        return self.knowledge.add_records(self.tenant(tenant), records)

    def kb_list(
        self, *, tenant: str | None = None, limit: int = 50, offset: int = 0
    ) -> Page[DocumentSummary]:
        return self.knowledge.list(self.tenant(tenant), limit, offset)

    def kb_get(self, document_id: str, *, tenant: str | None = None) -> Document:
        return self.knowledge.get(self.tenant(tenant), document_id)

    def kb_remove(self, document_id: str, *, tenant: str | None = None) -> dict[str, int]:
        return self.knowledge.remove(self.tenant(tenant), document_id)

    def kb_search(self, query: str, k: int = 5, *, tenant: str | None = None) -> list[DocumentHit]:
        """The best `k` documents for `query`, each with its best chunk."""
        return self.knowledge_search.search(self.tenant(tenant), query, k)

    def ask(
        self, question: str, *, user_id: str | None = None, tenant: str | None = None
    ) -> Answer:
        """A grounded answer with citations. Users who opted out of AI features, and set-ups
        without a language model, get the extractive answer."""
        tenant = self.tenant(tenant)
        allow = True
        if user_id is not None:
            allow = not self.store.get_user(tenant, user_id).ai_opt_out
        return self.answerer.ask(tenant, question, allow_generation=allow)

    def stats(self, *, tenant: str | None = None) -> dict[str, dict[str, Any]]:
        """Counts of users, items per kind and events, per tenant (all tenants by default)."""
        return self.store.stats(self.tenant(tenant) if tenant else None)


def _raw(records: Iterable[dict[str, Any] | Any]) -> Sequence[RawRecord]:
    rows = [r.model_dump() if hasattr(r, "model_dump") else r for r in records]
    return list(body_records(rows))


__all__ = ["Engine", "FieldError", "ImportReport"]
