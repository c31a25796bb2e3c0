"""Building the services an `Engine` composes, once per configuration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from rapport.core.config import Settings, check_tenant
from rapport.core.errors import FieldError, InvalidInput
from rapport.core.llm import LLMGateway
from rapport.core.store.repository import Store
from rapport.core.vectors.embedder import Embedder
from rapport.core.vectors.index import make_index
from rapport.core.vectors.registry import make_embedder
from rapport.services.catalog import Catalog
from rapport.services.ingest import Ingestor
from rapport.services.knowledge.answer import AnswerConfig, Answerer
from rapport.services.knowledge.base import KnowledgeBase
from rapport.services.knowledge.chunking import ChunkingConfig
from rapport.services.knowledge.search import KnowledgeSearch
from rapport.services.recommend.artifacts import ModelStore
from rapport.services.recommend.frame import FrameCache
from rapport.services.recommend.recommender import Recommender, RecommenderConfig
from rapport.services.recommend.training import TrainingConfig
from rapport.services.search.items import ItemSearch
from rapport.services.search.retriever import RetrieverConfig

C = TypeVar("C", bound=BaseModel)


def section(settings: Settings, name: str, config: type[C]) -> C:
    """A component config from its settings section, with errors that name the section."""
    try:
        return config.model_validate(getattr(settings, name))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(section)'}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(f"settings section [{name}]: {problems}") from exc


@dataclass
class Services:
    """Everything one engine holds; the areas of `Engine` are thin facades over it."""

    settings: Settings
    store: Store
    embedder: Embedder
    catalog: Catalog
    ingestor: Ingestor
    models: ModelStore
    recommender: Recommender
    training: TrainingConfig
    item_search: ItemSearch
    gateway: LLMGateway
    knowledge: KnowledgeBase
    knowledge_search: KnowledgeSearch
    answerer: Answerer

    @classmethod
    def build(cls, settings: Settings, embedder: Embedder | None = None) -> Services:
        recommender_config = section(settings, "recommender", RecommenderConfig)
        training = section(settings, "training", TrainingConfig)
        retriever = section(settings, "retriever", RetrieverConfig)
        chunking = section(settings, "chunking", ChunkingConfig)
        answer = section(settings, "answer", AnswerConfig)
        store = Store(settings.sqlalchemy_url)
        embedder = embedder or make_embedder(settings)
        index = make_index(store, embedder.name, settings.vector_index)
        catalog = Catalog(store, embedder, index)
        frames = FrameCache(store, index, embedder.name)
        models = ModelStore(settings.data)
        recommender = Recommender(store, embedder, frames, models, recommender_config)
        gateway = LLMGateway.from_settings(settings)
        knowledge = KnowledgeBase(store, embedder, index, chunking)
        knowledge_search = KnowledgeSearch(knowledge, retriever)
        return cls(
            settings=settings,
            store=store,
            embedder=embedder,
            catalog=catalog,
            ingestor=Ingestor(store, catalog),
            models=models,
            recommender=recommender,
            training=training,
            item_search=ItemSearch(embedder, frames, recommender, retriever),
            gateway=gateway,
            knowledge=knowledge,
            knowledge_search=knowledge_search,
            answerer=Answerer(knowledge_search, embedder, gateway, answer),
        )

    def tenant(self, tenant: str | None = None) -> str:
        """The tenant to act on: the given one (validated) or the configured default."""
        if tenant is None or tenant == self.settings.tenant:
            return self.settings.tenant
        try:
            return check_tenant(tenant)
        except ValueError as exc:
            raise InvalidInput(
                [FieldError(record="request", field="tenant", message=str(exc))]
            ) from exc

    def close(self) -> None:
        self.gateway.close()
        self.store.close()


def options(model: type[C], given: C | None, values: dict[str, Any]) -> C:
    """A request model from an instance or from keyword options (not both)."""
    if given is not None:
        if values:
            raise TypeError(f"give a {model.__name__} or keyword options, not both")
        return given
    return model.model_validate(values)
