"""Per-tenant API keys with scopes over real HTTP: a key never reaches another tenant,
whatever `X-Tenant` says; scopes, revocation, the empty key, open mode and the CLI."""

from __future__ import annotations

import hashlib
import re

import httpx
import pytest

from rapport.core.config import Settings
from rapport.engine import Engine
from rapport.engine.schemas import Scope
from tests.conftest import Cli, CountingEmbedder, LiveServer

KEY = re.compile(r"^rk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$")
ITEM = {"id": "b-secret", "title": "Tenant B's private course", "text": "Only for B."}
ADMIN = "bootstrap-admin-key"
SCOPES: tuple[Scope, ...] = ("read", "write", "admin")


def key(engine: Engine, tenant: str, scope: Scope = "write") -> str:
    return engine.keys.create(tenant, scope, name=f"{tenant} {scope}").key


def test_key_for_tenant_a_never_reaches_tenant_b(engine: Engine) -> None:
    engine.items.add([ITEM], tenant="b")
    a = {"X-API-Key": key(engine, "a")}
    with LiveServer(engine) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        # Naming tenant B is refused, for reads and writes alike.
        for method, path, body in [
            ("GET", "/items", None),
            ("GET", "/items/b-secret", None),
            ("GET", "/stats", None),
            ("POST", "/items", {"id": "planted", "title": "Planted by A"}),
            ("PUT", "/items/b-secret", {**ITEM, "title": "Overwritten by A"}),
            ("DELETE", "/items/b-secret", None),
        ]:
            response = http.request(method, path, json=body, headers={**a, "X-Tenant": "b"})
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["error"]["code"] == "forbidden"
        # Without X-Tenant the key acts on its own tenant, not on the default one.
        assert http.get("/items/b-secret", headers=a).status_code == 404
        assert http.get("/stats", headers=a).json()["tenant"] == "a"
        assert (
            http.post("/items", json={"id": "mine", "title": "A's"}, headers=a).status_code == 201
        )
    # Tenant B is exactly as it was; A's write landed in A.
    assert engine.items.get("b-secret", tenant="b").title == ITEM["title"]
    assert [i.id for i in engine.items.list(tenant="b").items] == ["b-secret"]
    assert [i.id for i in engine.items.list(tenant="a").items] == ["mine"]


def test_tenant_admin_manages_only_its_own_keys(engine: Engine) -> None:
    admin_a = {"X-API-Key": key(engine, "a", "admin")}
    b_key = engine.keys.create("b", "read").record.id
    with LiveServer(engine) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        made = http.post("/keys", json={"tenant": "a", "scope": "read"}, headers=admin_a)
        assert made.status_code == 201 and KEY.match(made.json()["key"])
        assert made.json()["record"]["tenant"] == "a"
        other = http.post("/keys", json={"tenant": "b", "scope": "admin"}, headers=admin_a)
        assert other.status_code == 403
        listed = http.get("/keys", headers=admin_a).json()
        assert {k["tenant"] for k in listed} == {"a"} and len(listed) == 2
        assert http.get("/keys", params={"tenant": "b"}, headers=admin_a).status_code == 403
        assert http.delete(f"/keys/{b_key}", headers=admin_a).status_code == 404
    assert [k.id for k in engine.keys.list(tenant="b")] == [b_key]  # not revoked


def test_scopes_are_enforced(engine: Engine) -> None:
    read, write, admin = ({"X-API-Key": key(engine, "a", scope)} for scope in SCOPES)
    item = {"id": "x", "title": "A course"}
    with LiveServer(engine) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        assert http.get("/items", headers=read).status_code == 200
        assert http.get("/kb/documents", headers=read).status_code == 200
        assert http.post("/items", json=item, headers=read).status_code == 403
        assert http.delete("/items/x", headers=read).status_code == 403
        assert http.post("/events", json=[], headers=read).status_code == 403
        assert http.get("/keys", headers=read).status_code == 403
        # A read-only query sent as POST needs only read.
        group = {"user_ids": ["nobody"]}
        assert http.post("/recommendations/group", json=group, headers=read).status_code != 403
        assert http.post("/items", json=item, headers=write).status_code == 201
        assert http.delete("/items/x", headers=write).status_code == 204
        assert http.get("/keys", headers=write).status_code == 403
        assert http.post("/model/train", headers=write).status_code == 403
        refused = http.post("/keys", json={"tenant": "a"}, headers=write)
        assert refused.status_code == 403
        assert refused.json()["error"]["message"].startswith("this key's scope 'write'")
        assert http.get("/audit", headers=write).status_code == 403
        assert http.get("/keys", headers=admin).status_code == 200
        assert http.get("/audit", headers=admin).status_code == 200
        # Reads of many people's personal data are admin only; one user's reads are not.
        staff = ["/users", "/users/u1/export", "/items/x/audience", "/escalations"]
        staff += ["/moderation", "/outbox", "/generations", "/reminders", "/nudges"]
        for path in staff:
            assert http.get(path, headers=read).status_code == 403, path
            assert http.get(path, headers=write).status_code == 403, path
            assert http.get(path, headers=admin).status_code != 403, path
        assert http.get("/users", headers=admin).status_code == 200
        assert http.get("/users/u1/export", headers=admin).status_code == 404  # no such user
        assert http.get("/users/u1", headers=read).status_code == 404
        assert http.get("/users/u1/recommendations", headers=read).status_code != 403
        assert http.post("/model/train", headers=admin).status_code == 409  # no events yet
        # A/B tests change what everyone is served: writes need admin, reads and
        # assignments need read.
        test = {"name": "home", "variants": {"A": {"share": 50}, "B": {"share": 50}}}
        assert http.post("/experiments", json=test, headers=write).status_code == 403
        assert http.post("/experiments", json=test, headers=admin).status_code == 200
        assert http.get("/experiments/home", headers=read).status_code == 200
        users = {"user_ids": ["u1"]}
        assert http.post("/experiments/home/assign", json=users, headers=read).status_code == 200
        assert http.post("/experiments/home/stop", headers=write).status_code == 403
        assert http.post("/experiments/home/stop", headers=admin).status_code == 200


def test_revoked_key_gets_401(engine: Engine) -> None:
    engine.settings.api_key = ADMIN
    created = engine.keys.create("a", "read")
    reader = {"X-API-Key": created.key}
    with LiveServer(engine) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        assert http.get("/items", headers=reader).status_code == 200
        revoked = http.delete(f"/keys/{created.record.id}", headers={"X-API-Key": ADMIN})
        assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
        refused = http.get("/items", headers=reader)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "unauthorized"
        # A wrong secret for a live id, and a malformed key, are refused too.
        live = engine.keys.create("a", "read")
        forged = f"rk_{live.record.id}_{'x' * 43}"
        assert http.get("/items", headers={"X-API-Key": forged}).status_code == 401
        assert http.get("/items", headers={"X-API-Key": "rk_"}).status_code == 401
        assert (
            http.get("/items", headers={"Authorization": f"Bearer {live.key}"}).status_code == 200
        )


def test_configured_admin_key_reaches_every_tenant(engine: Engine) -> None:
    engine.settings.api_key = ADMIN
    engine.items.add([ITEM], tenant="b")
    admin = {"X-API-Key": ADMIN}
    with LiveServer(engine) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        found = http.get("/items/b-secret", headers={**admin, "X-Tenant": "b"})
        assert found.status_code == 200 and found.json()["title"] == ITEM["title"]
        made = http.post("/keys", json={"tenant": "c", "scope": "write"}, headers=admin)
        assert made.status_code == 201
        c = {"X-API-Key": made.json()["key"]}
        assert http.get("/stats", headers=c).json()["tenant"] == "c"
        assert {k["tenant"] for k in http.get("/keys", headers=admin).json()} == {"c"}


def test_secrets_are_stored_hashed(engine: Engine) -> None:
    created = engine.keys.create("a", "admin", name="ops")
    assert KEY.match(created.key)
    secret = created.key.split("_", 2)[2]
    stored = engine._services.access.keys.get(created.record.id)
    assert stored is not None
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in stored.model_dump_json()
    listed = engine.keys.list(tenant="a")
    assert [k.name for k in listed] == ["ops"] and "secret_hash" not in listed[0].model_dump()
    assert engine.keys.authenticate(created.key) is not None
    assert engine.keys.authenticate(created.key[:-1] + "?") is None


def test_empty_api_key_is_no_key(engine: Engine, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> None:
    monkeypatch.setenv("RAPPORT_API_KEY", "")
    assert Settings.load().api_key is None
    assert Settings(api_key="  ").api_key is None
    refused = cli("serve", "--host", "0.0.0.0")
    assert refused.returncode == 2 and "RAPPORT_API_KEY" in refused.stderr
    # Even set directly, an empty configured key accepts no empty (or any) key.
    engine.settings.api_key = ""
    assert not engine.keys.required()
    assert engine.keys.authenticate("") is None
    engine.keys.create("a", "read")
    with LiveServer(engine) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        assert http.get("/items", headers={"X-API-Key": ""}).status_code == 401


def test_open_until_the_first_key_and_closed_for_good(engine: Engine) -> None:
    assert not engine.keys.required()
    with LiveServer(engine) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        assert http.get("/items").status_code == 200  # open: `serve` binds loopback only
        created = http.post("/keys", json={"tenant": "a", "scope": "admin"}).json()
        assert http.get("/items").status_code == 401
        admin = {"X-API-Key": created["key"]}
        assert http.delete(f"/keys/{created['record']['id']}", headers=admin).status_code == 200
        # Revoking the last key does not open the API again.
        assert http.get("/items").status_code == 401
        assert http.get("/healthz").status_code == 200
    assert engine.keys.required()


def test_cli_keys_create_list_revoke(cli: Cli) -> None:
    made = cli("keys", "create", "--tenant", "acme", "--scope", "write", "--name", "ci")
    assert made.returncode == 0, made.stderr
    full_key = made.stdout.strip().splitlines()[-1]
    assert KEY.match(full_key), made.stdout
    listed = cli("--tenant", "acme", "keys", "list", "--json").json()
    assert [(k["scope"], k["name"]) for k in listed] == [("write", "ci")]
    assert full_key.split("_", 2)[2] not in cli("--tenant", "acme", "keys", "list").stdout
    assert cli("keys", "list", "--json").json() == []  # the default tenant has none
    assert len(cli("keys", "list", "--all", "--json").json()) == 1
    assert cli("keys", "revoke", full_key).returncode == 0  # the full key names it too
    assert cli("--tenant", "acme", "keys", "list", "--json").json() == []
    revoked = cli("--tenant", "acme", "keys", "list", "--revoked", "--json").json()
    assert revoked[0]["revoked_at"] is not None
    assert cli("keys", "revoke", "nope").returncode == 1
    assert cli("keys", "create", "--tenant", "bad tenant!").returncode == 2


def test_vector_reuse_is_scoped_per_tenant(engine: Engine, embedder: CountingEmbedder) -> None:
    document = {"id": "guide", "title": "Guide", "text": "Members meet every Tuesday evening."}
    engine.kb.add_records([document], tenant="a")
    once = embedder.embedded
    assert once > 0
    engine.kb.add_records([{**document, "id": "guide-copy"}], tenant="a")
    assert embedder.embedded == once  # the same text in the same tenant is reused
    engine.kb.add_records([document], tenant="b")
    assert embedder.embedded == 2 * once  # never another tenant's vectors
