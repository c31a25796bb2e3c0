"""The REST API over real HTTP: a uvicorn server on loopback, driven with httpx."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from rapport.engine import Engine
from tests.conftest import LiveServer

ITEMS = [
    {
        "id": "py",
        "kind": "course",
        "title": "Python programming for beginners",
        "categories": ["data"],
        "price": 0,
    },
    {
        "id": "pandas",
        "kind": "course",
        "title": "Data analysis with pandas and Python",
        "categories": ["data"],
        "price": 20,
    },
    {
        "id": "jazz",
        "kind": "event",
        "title": "Live jazz quartet",
        "categories": ["music"],
        "location": {"lat": 38.711, "lon": -9.137},
        "price": 12,
    },
]


def test_item_crud_and_similar(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url, timeout=60) as http:
        created = http.post("/items", json=ITEMS[0])
        assert created.status_code == 201 and created.json()["title"] == ITEMS[0]["title"]
        batch = http.post("/items/batch", json=ITEMS[1:])
        assert batch.json() == {"received": 2, "written": 2, "duplicates": 0, "invalid": []}
        listed = http.get("/items", params={"kind": "course", "limit": 1}).json()
        assert listed["total"] == 2 and [i["id"] for i in listed["items"]] == ["pandas"]
        near = http.get("/items", params={"lat": 38.71, "lon": -9.14, "radius_km": 2}).json()
        assert [i["id"] for i in near["items"]] == ["jazz"]
        similar = http.get("/items/py/similar", params={"k": 2}).json()
        assert [s["item_id"] for s in similar] == ["pandas", "jazz"]
        assert [s["item"]["id"] for s in similar] == ["pandas", "jazz"]
        assert similar[0]["score"] > similar[1]["score"]
        changed = {**ITEMS[2], "price": 15}
        assert http.put("/items/jazz", json=changed).json()["price"] == 15
        assert http.delete("/items/jazz").status_code == 204
        missing = http.get("/items/jazz")
        assert missing.status_code == 404
        assert missing.json()["error"] == {
            "code": "not_found",
            "message": "item 'jazz' not found",
            "details": [],
        }


def test_events_batch_idempotent(live: LiveServer) -> None:
    events = [
        {
            "id": f"e{i}",
            "user_id": "ana",
            "item_id": "py",
            "type": "click",
            "timestamp": 1_700_000_000 + i,
        }
        for i in range(3)
    ]
    with httpx.Client(base_url=live.url, timeout=60) as http:
        first = http.post("/events", json=events).json()
        again = http.post("/events", json=events[0]).json()
        assert (first["written"], again["written"], again["duplicates"]) == (3, 0, 1)
        history = http.get("/users/ana/events").json()
        assert [e["id"] for e in history] == ["e2", "e1", "e0"]
        assert http.get("/stats").json()["events"] == 3


def test_bad_input_names_record_and_field(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url, timeout=60) as http:
        bad = http.post(
            "/events",
            json=[
                {"user_id": "ana", "type": "click"},
                {"user_id": "ana", "type": "click", "timestamp": "not a time"},
            ],
        )
        assert bad.status_code == 422
        body = bad.json()["error"]
        assert body["code"] == "invalid_input"
        assert body["details"][0]["record"] == "record 1"
        assert body["details"][0]["field"] == "timestamp"
        assert http.get("/stats").json()["events"] == 0
        single = http.post("/items", json={"id": "x", "price": "free"})
        assert single.status_code == 422
        assert single.json()["error"]["details"][0]["field"] == "price"
        mismatch = http.put("/items/a", json={"id": "b"})
        assert mismatch.status_code == 422
        assert mismatch.json()["error"]["details"][0]["field"] == "id"
        assert http.put("/items/nope", json={"id": "nope"}).status_code == 404
        typo = http.get("/items", params={"kinds": "course"})
        assert typo.status_code == 422 and typo.json()["error"]["details"][0]["field"] == "kinds"
        half = http.get("/items", params={"lat": 38.7})
        assert half.status_code == 422 and "lat and lon" in half.text


def test_users_crud_and_delete_my_data(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url, timeout=60) as http:
        user = {"id": "ana", "profile": {"interests": ["jazz"], "hours_per_week": 4}}
        assert http.post("/users", json=user).status_code == 201
        http.post("/events", json={"user_id": "ana", "item_id": "jazz", "type": "like"})
        page = http.get("/users").json()
        assert page["total"] == 1 and page["items"][0]["profile"]["interests"] == ["jazz"]
        assert http.get("/users/ana/events").json()[0]["item_id"] == "jazz"
        deleted = http.delete("/users/ana").json()
        assert {kind: n for kind, n in deleted["deleted"].items() if n} == {"events": 1, "users": 1}
        assert http.get("/users/ana/events").status_code == 404
        assert http.get("/users/ana").status_code == 404


def test_tenant_header_isolates(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url, timeout=60) as http:
        http.post("/items", json=ITEMS[0], headers={"X-Tenant": "acme"})
        assert http.get("/items/py", headers={"X-Tenant": "acme"}).status_code == 200
        assert http.get("/items/py").status_code == 404
        bad = http.get("/items", headers={"X-Tenant": "no spaces!"})
        assert bad.status_code == 422


def test_health_and_openapi(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url, timeout=60) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        ready = http.get("/readyz").json()
        assert ready["status"] == "ready" and ready["database"] in {"sqlite", "postgresql"}
        schema = http.get("/openapi.json").json()
        assert {"/items", "/items/{item_id}/similar", "/events", "/model"} <= set(schema["paths"])
        # Field docstrings are the API documentation.
        fields = schema["components"]["schemas"]["Recommendation"]["properties"]
        assert "real signals" in fields["reasons"]["description"]
        undocumented = [
            f"{name}.{field}"
            for name, component in schema["components"]["schemas"].items()
            for field, spec in component.get("properties", {}).items()
            if not name.startswith(("HTTPValidationError", "ValidationError"))
            and "description" not in spec
        ]
        assert undocumented == []
        filters = {p["name"]: p for p in schema["paths"]["/items"]["get"]["parameters"]}
        assert all("description" in p for p in filters.values())
        assert "Where the user is" in filters["lat"]["description"]
        assert "categories" in filters and "ended before" in filters["at"]["description"]
        assert http.get("/docs").status_code == 200


@pytest.fixture
def keyed_engine(engine: Engine) -> Engine:
    engine.settings.api_key = "s3cret"
    return engine


def test_api_key_required_when_configured(keyed_engine: Engine) -> None:
    with LiveServer(keyed_engine) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        assert http.get("/healthz").status_code == 200  # probes stay open
        denied = http.get("/items")
        assert denied.status_code == 401
        assert denied.json()["error"]["code"] == "unauthorized"
        assert http.get("/items", headers={"X-API-Key": "wrong"}).status_code == 401
        assert http.get("/items", headers={"X-API-Key": "s3cret"}).status_code == 200
        bearer = {"Authorization": "Bearer s3cret"}
        assert http.get("/items", headers=bearer).status_code == 200


def test_recommendations_group_and_insights_over_http(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url, timeout=60) as http:
        http.post("/items/batch", json=ITEMS)
        http.post("/users", json={"id": "ana", "profile": {"interests": ["python"]}})
        http.post("/users", json={"id": "bo", "profile": {"interests": ["music"]}})
        http.post("/events", json={"user_id": "bo", "item_id": "jazz", "type": "like"})
        recs = http.get("/users/ana/recommendations", params={"k": 2, "kind": "course"})
        assert recs.status_code == 200
        body = recs.json()
        assert body["user_id"] == "ana" and body["items"][0]["item_id"] in {"py", "pandas"}
        assert all(r["item"]["kind"] == "course" for r in body["items"])
        assert "matches your interest in python" in body["items"][0]["reasons"]
        near = http.get(
            "/users/ana/recommendations", params={"lat": 38.711, "lon": -9.137, "radius_km": 1}
        ).json()
        assert [r["item_id"] for r in near["items"]] == ["jazz"]
        assert "right here" in near["items"][0]["reasons"] or any(
            "km away" in reason for reason in near["items"][0]["reasons"]
        )
        labelled = http.get(
            "/users/ana/recommendations", params=[("categories", "music"), ("categories", "data")]
        ).json()
        assert {r["item_id"] for r in labelled["items"]} == {"py", "pandas", "jazz"}
        group = http.post(
            "/recommendations/group", json={"user_ids": ["ana", "bo"], "request": {"k": 2}}
        ).json()
        assert group["user_ids"] == ["ana", "bo"]
        assert len(group["items"]) == 2 and "jazz" not in [r["item_id"] for r in group["items"]]
        insights = http.get("/users/bo/insights").json()
        assert insights["categories"][0]["value"] == "music"
        missing = http.get("/users/nobody/recommendations")
        assert missing.status_code == 404
        bad = http.get("/users/ana/recommendations", params={"radius_km": 2})
        assert bad.status_code == 422 and "needs a location" in bad.text


def test_train_and_model_over_http(live: LiveServer) -> None:
    events = [
        {
            "user_id": f"u{u}",
            "item_id": ITEMS[(u + n) % 3]["id"],
            "type": "like",
            "timestamp": 1_700_000_000 + 3600 * n,
        }
        for u in range(8)
        for n in range(3)
    ]
    with httpx.Client(base_url=live.url, timeout=60) as http:
        untrainable = http.post("/model/train")
        assert untrainable.status_code == 409
        assert untrainable.json()["error"]["code"] == "conflict"
        http.post("/items/batch", json=ITEMS)
        http.post("/events", json=events)
        missing = http.get("/model")
        assert missing.status_code == 404 and "model train" in missing.json()["error"]["message"]
        assert http.post("/model/train").status_code == 202
        deadline = time.monotonic() + 60
        manifest = http.get("/model")
        while manifest.status_code == 404 and time.monotonic() < deadline:
            time.sleep(0.2)  # training runs after the 202 response
            manifest = http.get("/model")
        assert manifest.status_code == 200
        body = manifest.json()
        assert body["training"]["events"] == len(events) and body["model"] == "hybrid"
        listed = http.get("/model/versions").json()
        assert [(v["version"], v["status"], v["decision"]) for v in listed] == [
            (body["version"], "serving", "serve")
        ]
        assert http.get(f"/model/versions/{body['version']}").json() == body


def test_missing_model_files_are_a_503_not_a_404(engine: Engine, tmp_path: Path) -> None:
    engine.items.add(ITEMS, index=False)
    engine.events.add(
        [{"user_id": f"u{u}", "item_id": i["id"], "type": "like"} for u in range(4) for i in ITEMS]
    )
    engine.users.add([{"id": "late"}])
    version = engine.models.train().version
    (tmp_path / "models" / "default" / version / "arrays.npz").unlink()
    other = Engine(data=tmp_path, database_url=engine.settings.database_url)
    with LiveServer(other) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        broken = http.get("/users/u0/recommendations")
        assert broken.status_code == 503 and broken.json()["error"]["code"] == "unavailable"
        assert version in broken.json()["error"]["message"]
    other.close()
