"""Prometheus `/metrics` over real HTTP: request latency per route template and status,
recommendation and LLM latencies, queue depths and the serving model version; keys; and
several processes adding up in multiprocess mode."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert

from rapport.core.store.schema import outbox
from rapport.engine import Engine
from rapport.engine.schemas import TrainingConfig
from tests.conftest import CountingEmbedder, LiveServer
from tests.llm_stub import LLMStub, llm_settings
from tests.test_models import synthetic_events
from tests.test_training import items

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
REQUESTS = "rapport_http_request_duration_seconds_count"


def scrape(http: httpx.Client, **headers: str) -> Samples:
    response = http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_show_routes_recommendations_queues_and_the_model(
    engine: Engine, live: LiveServer
) -> None:
    engine.items.add(items(), index=False)  # not embedded: waiting in the queue
    engine.events.add(synthetic_events(users=12))
    manifest = engine.models.train(config=TrainingConfig(model="ease"))
    store = engine._services.store  # the outbox is written by the engage area: one row here
    with store.engine.begin() as conn:
        now = datetime(2026, 3, 1, tzinfo=UTC)
        conn.execute(
            insert(outbox),
            [
                {
                    "tenant_id": "default",
                    "id": f"m{n}",
                    "user_id": "u0",
                    "kind": "nudge",
                    "trigger": "test",
                    "period": str(n),
                    "channel": "webhook",
                    "payload": {},
                    "status": status,
                    "send_at": now,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for n, status in enumerate(["pending", "pending", "sent"])
            ],
        )
    route = "/users/{user_id}/recommendations"
    with httpx.Client(base_url=live.url, timeout=30) as http:
        before = scrape(http)
        assert http.get("/users/u0/recommendations").status_code == 200
        assert http.get("/users/u1/recommendations").status_code == 200
        assert http.get("/users/nobody/recommendations").status_code == 404
        assert http.get("/no/such/path/42").status_code == 404
        after = scrape(http)
    ok = {"method": "GET", "route": route, "status": "200"}
    assert value(after, REQUESTS, **ok) - value(before, REQUESTS, **ok) == 2
    missing = {"method": "GET", "route": route, "status": "404"}
    assert value(after, REQUESTS, **missing) - value(before, REQUESTS, **missing) == 1
    unmatched = {"method": "GET", "route": "unrouted", "status": "404"}
    assert value(after, REQUESTS, **unmatched) - value(before, REQUESTS, **unmatched) == 1
    bucket = "rapport_http_request_duration_seconds_bucket"
    assert value(after, bucket, **ok, le="+Inf") == value(after, REQUESTS, **ok)
    routes = {dict(labels).get("route") for name, labels in after if name == REQUESTS}
    assert not any(r and ("u0" in r or "42" in r) for r in routes)  # templates, never paths
    recommended = "rapport_recommendation_duration_seconds_count"
    # The 404 failed before ranking but is timed too: three lists asked for.
    assert value(after, recommended, kind="user") - value(before, recommended, kind="user") == 3
    info = {"tenant": "default", "version": manifest.version, "model": "ease"}
    assert value(after, "rapport_model_info", **info) == 1
    ndcg = value(after, "rapport_model_validation_ndcg", tenant="default", version=manifest.version)
    assert ndcg == pytest.approx(manifest.validation.ndcg_at_10)
    queue = "rapport_queue_depth"
    assert value(after, queue, tenant="default", queue="items_unembedded") == 90
    assert value(after, queue, tenant="default", queue="chunks_unembedded") == 0
    assert value(after, queue, tenant="default", queue="outbox_pending") == 2


def test_metrics_show_llm_latency_after_a_call(
    tmp_path: Path, embedder: CountingEmbedder, llm: LLMStub
) -> None:
    labels = {"operation": "chat", "provider": "primary", "outcome": "ok"}
    name = "rapport_llm_request_duration_seconds_count"
    llm.replies = ["Hello Maya, here is a plan."]
    with (
        Engine(data=tmp_path, embedder=embedder, **llm_settings(llm)) as engine,
        LiveServer(engine) as server,
        httpx.Client(base_url=server.url, timeout=30) as http,
    ):
        before = scrape(http)
        # The gateway the server's engine uses, on the stub (the assistant routes reach it
        # too, but build far more than this test needs).
        gateway = engine._services.gateway
        reply = gateway.chat([{"role": "user", "content": "hi"}], cache=False)
        assert reply.text == "Hello Maya, here is a plan."
        after = scrape(http)
    assert len(llm.requests) == 1
    assert value(after, name, **labels) - value(before, name, **labels) == 1
    total = "rapport_llm_request_duration_seconds_sum"
    assert value(after, total, **labels) > value(before, total, **labels)


def test_metrics_need_a_read_key_and_show_only_its_tenant(engine: Engine, live: LiveServer) -> None:
    engine.items.add(items()[:5], index=False)
    engine.items.add(items()[:2], index=False, tenant="shop")
    own = engine.keys.create("default", "read", name="ops")
    other = engine.keys.create("shop", "read", name="shop ops")
    queue = "rapport_queue_depth"
    with httpx.Client(base_url=live.url, timeout=30) as http:
        assert http.get("/metrics").status_code == 401
        mine = scrape(http, **{"X-API-Key": own.key})
        theirs = scrape(http, **{"X-API-Key": other.key})
    assert value(mine, queue, tenant="default", queue="items_unembedded") == 5
    assert value(theirs, queue, tenant="shop", queue="items_unembedded") == 2
    assert not [labels for name, labels in theirs if ("tenant", "default") in labels]
    refused = {"method": "GET", "route": "unrouted", "status": "401"}
    assert value(theirs, REQUESTS, **refused) >= 1  # refused before routing


WORKER = """
import sys
from rapport.core.telemetry import REQUEST_SECONDS
for _ in range(int(sys.argv[1])):
    REQUEST_SECONDS.labels("GET", "/items", "200").observe(0.01)
"""


def test_several_processes_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for count in ("2", "3"):
        subprocess.run([sys.executable, "-c", WORKER, count], env=env, check=True, timeout=60)
    scraper = (
        "from rapport.core.telemetry import exposition; "
        "import sys; sys.stdout.write(exposition().decode())"
    )
    text = subprocess.run(
        [sys.executable, "-c", scraper], env=env, check=True, capture_output=True, text=True
    ).stdout
    labels = {"method": "GET", "route": "/items", "status": "200"}
    assert value(parse(text), REQUESTS, **labels) == 5
