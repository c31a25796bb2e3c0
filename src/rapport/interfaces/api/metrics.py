"""Request metrics as ASGI middleware, labelled by route template (`/users/{user_id}`,
never the raw path, so labels stay few), and the scrape-time values of `/metrics`."""

from __future__ import annotations

import time

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rapport.core.telemetry import REQUEST_SECONDS
from rapport.engine.schemas import Telemetry

UNROUTED = "unrouted"
"""The route label of requests no route handled: unknown paths (404) and requests refused
before routing (401, 403, 413, 429); one series each, whatever the path."""


def route_template(scope: Scope) -> str:
    """The path template of the route that handled the request, e.g. `/users/{user_id}`."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNROUTED


class MetricsMiddleware:
    """Observes every HTTP request's latency until its response starts (streamed replies
    go on after that), with its method, route template and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        observed = False

        def observe(status: int) -> None:
            nonlocal observed
            observed = True
            REQUEST_SECONDS.labels(scope["method"], route_template(scope), str(status)).observe(
                time.perf_counter() - started
            )

        async def sending(message: Message) -> None:
            # Observed before the response leaves: a client that got it sees it counted.
            if message["type"] == "http.response.start":
                observe(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if not observed:  # failed before any response: a server error
                observe(500)


def telemetry_metrics(telemetry: Telemetry) -> list[Metric]:
    """Serving model and queue depths per tenant, as gauges read at scrape time (the same
    in every worker: they come from the database and the data directory)."""
    info = GaugeMetricFamily(
        "rapport_model_info",
        "The serving model version of each tenant (value 1).",
        labels=["tenant", "version", "model"],
    )
    ndcg = GaugeMetricFamily(
        "rapport_model_validation_ndcg",
        "Validation NDCG@10 of each tenant's serving model, as stored at training.",
        labels=["tenant", "version"],
    )
    queues = GaugeMetricFamily(
        "rapport_queue_depth",
        "Work waiting in background queues: items_unembedded, chunks_unembedded, outbox_pending.",
        labels=["tenant", "queue"],
    )
    for tenant in telemetry.tenants:
        if tenant.model_version is not None:
            info.add_metric([tenant.tenant, tenant.model_version, tenant.model or ""], 1)
            ndcg.add_metric([tenant.tenant, tenant.model_version], tenant.model_ndcg_at_10 or 0)
        for queue, depth in sorted(tenant.queues.items()):
            queues.add_metric([tenant.tenant, queue], depth)
    return [info, ndcg, queues]
