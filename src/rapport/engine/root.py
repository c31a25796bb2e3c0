"""The composition root: one `Engine` per configuration, built once, closed once."""

from __future__ import annotations

from typing import Any, Literal

from rapport.core.config import Settings
from rapport.core.models import Schema, TenantStats
from rapport.core.vectors.embedder import Embedder
from rapport.engine.events import Events
from rapport.engine.items import Items
from rapport.engine.knowledge import KnowledgeArea
from rapport.engine.models import ModelsArea
from rapport.engine.recommendations import RecommendationsArea
from rapport.engine.search import SearchArea
from rapport.engine.services import Services
from rapport.engine.users import Users


class Readiness(Schema):
    """Whether the engine can serve: its database answers."""

    status: Literal["ready", "unavailable"]
    database: str
    """The back end (`sqlite`, `postgresql`), or the error when it does not answer."""


class Engine:
    """Composes storage, vectors and services for one configuration.

    `Engine(data="rapport-data")` builds everything from settings (file, environment,
    keyword overrides); `embedder` replaces the configured embedding model.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        **overrides: Any,
    ) -> None:
        self.settings = settings or Settings.load(**overrides)
        self._services = Services.build(self.settings, embedder)
        self.items = Items(self._services)
        self.users = Users(self._services)
        self.events = Events(self._services)
        self.recommendations = RecommendationsArea(self._services)
        self.search = SearchArea(self._services)
        self.kb = KnowledgeArea(self._services)
        self.models = ModelsArea(self._services)

    def close(self) -> None:
        self._services.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def tenant(self, tenant: str | None = None) -> str:
        """The tenant to act on: the given one (validated) or the configured default."""
        return self._services.tenant(tenant)

    def tenants(self) -> list[str]:
        """Every tenant that has stored anything."""
        return self._services.store.tenants()

    def stats(self, *, tenant: str | None = None) -> TenantStats:
        """Counts of users, items per kind and events of one tenant."""
        return self._services.store.stats(self.tenant(tenant))

    def ready(self) -> Readiness:
        """Whether the database answers (the readiness probe)."""
        store = self._services.store
        try:
            store.ping()
        except Exception as exc:  # any driver error means not ready
            return Readiness(status="unavailable", database=type(exc).__name__)
        return Readiness(status="ready", database=store.dialect)

    def warm_up(self) -> None:
        """Load the embedding model now rather than on the first request."""
        _ = self._services.embedder.dim
