"""`engine.telemetry`: what operators watch besides latencies: per tenant, the serving
model version and the work waiting in background queues (read at scrape time)."""

from __future__ import annotations

from rapport.core.models import Schema
from rapport.core.store.queues import pending_messages
from rapport.engine.services import Services


class TenantTelemetry(Schema):
    """One tenant's serving model and queue depths."""

    tenant: str
    """The tenant."""
    model_version: str | None
    """The serving model version (None before training)."""
    model: str | None
    """Its registry name."""
    model_ndcg_at_10: float | None
    """Its validation NDCG@10 as stored at training."""
    queues: dict[str, int]
    """Work waiting: items and knowledge chunks without a vector (`items_unembedded`,
    `chunks_unembedded`) and outbox messages not yet sent (`outbox_pending`)."""


class Telemetry(Schema):
    """Every tenant's telemetry."""

    tenants: list[TenantTelemetry]
    """One entry per tenant that stored anything."""


class TelemetryArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def snapshot(self, tenant: str | None = None) -> Telemetry:
        """Serving model and queue depths of every tenant (or only `tenant`), read now."""
        store, models = self._s.store, self._s.models
        outbox = pending_messages(store)
        embedding = self._s.embedder.name
        found = []
        tenants = store.tenants() if tenant is None else [self._s.tenant(tenant)]
        for tenant in tenants:
            manifest = models.manifest(tenant)
            items, chunks = store.count_unembedded(tenant, embedding)
            found.append(
                TenantTelemetry(
                    tenant=tenant,
                    model_version=manifest.version if manifest else None,
                    model=manifest.model if manifest else None,
                    model_ndcg_at_10=manifest.validation.ndcg_at_10 if manifest else None,
                    queues={
                        "items_unembedded": items,
                        "chunks_unembedded": chunks,
                        "outbox_pending": outbox.get(tenant, 0),
                    },
                )
            )
        return Telemetry(tenants=found)
