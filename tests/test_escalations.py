"""Escalations: raised by a high-severity check, listed, acknowledged and resolved through the
library, REST and the CLI, and posted to a real local webhook receiver with an HMAC
signature, retried after failures."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from rapport.engine import Engine
from rapport.engine.schemas import Conflict, InvalidInput, NotFound
from tests.conftest import Cli, CountingEmbedder, LiveServer

CRISIS = "I want to kill myself tonight."


class Receiver:
    """A real HTTP server on loopback that records webhook posts; the first `fail` requests
    get a 500."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.attempts = 0
        self.done = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.attempts += 1
                if owner.attempts <= owner.fail:
                    self.send_response(500)
                    self.end_headers()
                    return
                owner.received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()
                owner.done.set()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(fail=2) as running:
        yield running


def test_lifecycle(engine: Engine) -> None:
    quiet = engine.safety.check("What time is the yoga class?", source="chat", user_id="u1")
    assert not quiet.blocked and quiet.escalation_id is None and quiet.reply is None
    assert engine.escalations.list().total == 0

    check = engine.safety.check(CRISIS, source="chat", user_id="u1", locale="en-GB")
    assert check.blocked and check.screening.severity == "high"
    assert check.reply is not None
    assert any("116 123" in r.contact for r in check.reply.resources)
    assert check.escalation_id is not None

    page = engine.escalations.list(status="open")
    assert page.total == 1
    raised = page.items[0]
    assert (raised.id, raised.user_id, raised.source) == (check.escalation_id, "u1", "chat")
    assert raised.excerpt == CRISIS and raised.category == "suicide_self_harm"

    acked = engine.escalations.ack(raised.id, note="called the user")
    assert acked.status == "acknowledged" and acked.note == "called the user"
    assert engine.escalations.list(status="open").total == 0
    resolved = engine.escalations.resolve(raised.id)
    assert resolved.status == "resolved" and resolved.note == "called the user"
    with pytest.raises(Conflict):
        engine.escalations.ack(raised.id)
    with pytest.raises(NotFound):
        engine.escalations.resolve("esc_missing")
    # Tenants do not see each other's escalations.
    assert engine.escalations.list(tenant="other").total == 0
    with pytest.raises(InvalidInput):
        engine.safety.check(CRISIS, source="sms")


def test_signed_webhook_with_retries(
    tmp_path: Path, embedder: CountingEmbedder, receiver: Receiver
) -> None:
    safety = {
        "webhook_backoff": 0.05,
        "webhook_retries": 3,
        "tenants": {
            "clinic": {
                "webhook_url": receiver.url,
                "webhook_secret": "s3cret",
                "message": "Please reach out now.",
                "resources": {"en-US": [{"name": "Local line", "contact": "555-0100"}]},
            }
        },
    }
    with Engine(data=tmp_path, embedder=embedder, safety=safety) as engine:
        check = engine.safety.check(CRISIS, source="onboarding", tenant="clinic", locale="en-US")
        assert check.reply is not None
        assert check.reply.message == "Please reach out now."
        assert [r.contact for r in check.reply.resources] == ["555-0100"]
        # The call returned before delivery; the receiver gets it after two failures.
        assert receiver.done.wait(30)
        # Another tenant without a webhook: nothing is sent, default message.
        other = engine.safety.check(CRISIS, source="chat")
        assert other.reply is not None and other.reply.message != "Please reach out now."
    assert receiver.attempts == 3
    headers, body = receiver.received[0]
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Rapport-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["event"] == "escalation.created"
    assert payload["escalation"]["id"] == check.escalation_id
    assert payload["escalation"]["tenant"] == "clinic"
    assert len(receiver.received) == 1


def test_rest_and_cli(sqlite_engine: Engine, tmp_path: Path) -> None:
    first = sqlite_engine.safety.check(CRISIS, source="chat", user_id="a")
    second = sqlite_engine.safety.check("I'm going to end my life.", source="ask", user_id="b")
    with LiveServer(sqlite_engine) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        listed = http.get("/escalations", params={"status": "open"}).json()
        assert {e["id"] for e in listed["items"]} == {first.escalation_id, second.escalation_id}
        acked = http.post(f"/escalations/{first.escalation_id}/ack", json={"note": "on it"})
        assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
        done = http.post(f"/escalations/{first.escalation_id}/resolve")
        assert done.json()["status"] == "resolved" and done.json()["note"] == "on it"
        assert http.post(f"/escalations/{first.escalation_id}/ack").status_code == 409
        assert http.post("/escalations/esc_nope/resolve").status_code == 404
        assert http.get("/escalations", params={"status": "nope"}).status_code == 422

    cli = Cli(tmp_path)
    listed = cli("escalations", "list", "--status", "open", "--json").json()
    assert [e["id"] for e in listed["items"]] == [second.escalation_id]
    acked = cli("escalations", "ack", str(second.escalation_id), "--note", "called", "--json")
    assert acked.json()["status"] == "acknowledged"
    resolved = cli("escalations", "resolve", str(second.escalation_id), "--json").json()
    assert resolved["status"] == "resolved"
    assert cli("escalations", "resolve", "esc_nope").returncode == 1
