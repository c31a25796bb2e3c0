"""The delivery outbox: idempotent enqueue (also under concurrent calls), signed webhooks to a
real local HTTP server, email to a real local SMTP server (aiosmtpd), retries with backoff
replayed with explicit times, permanent failures, cancel and retry, feedback events, the
click redirect, and the REST, CLI and job surfaces."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import insert

from rapport.core.signals import SignalWeights
from rapport.core.signing import SIGNATURE_HEADER, verify
from rapport.core.store.schema import user_contexts
from rapport.engine import Engine
from rapport.engine.schemas import Conflict, InvalidInput, NotFound
from rapport.interfaces.jobs.outbox import DeliverOutboxJob
from rapport.services.engage.outbox import ChannelError, Delivery
from tests.conftest import Cli, CountingEmbedder, LiveServer

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SECRET = "hook-s3cret"


def message(user: str = "u1", **extra: Any) -> dict[str, Any]:
    return {
        "user_id": user,
        "trigger": "inactivity",
        "period": "2026-11-23",
        "subject": "We miss you",
        "body": "Your next lesson is waiting.",
        "payload": {"url": "https://learn.example.org/lesson/7", "item_id": "lesson-7"},
        **extra,
    }


class Receiver:
    """A real HTTP server on loopback recording webhook posts; the first `fail` requests
    get a 500 (every request when `fail` is negative)."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.attempts = 0
        self.received: list[tuple[dict[str, str], bytes]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.attempts += 1
                if owner.fail < 0 or owner.attempts <= owner.fail:
                    self.send_response(500)
                    self.end_headers()
                    return
                owner.received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

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


class Mailbox:
    """aiosmtpd's handler: keeps every mail; refuses recipients at `refused.example`."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], Message]] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.endswith("@refused.example"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        assert isinstance(content, bytes)
        self.mails.append((list(envelope.rcpt_tos), message_from_bytes(content)))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def make(tmp_path: Path, database_url: str, embedder: CountingEmbedder, **outbox: Any) -> Engine:
    engine = Engine(data=tmp_path, database_url=database_url, embedder=embedder, outbox=outbox)
    engine.users.add([{"id": "u1"}, {"id": "u2"}])
    return engine


def test_enqueue_once_per_user_trigger_and_period(
    tmp_path: Path, database_url: str, embedder: CountingEmbedder
) -> None:
    with make(tmp_path, database_url, embedder) as engine:
        first = engine.outbox.enqueue([message()], at=T0)
        again = engine.outbox.enqueue([message(body="changed"), message()], at=T0 + timedelta(1))
        assert [e.id for e in again] == [first[0].id, first[0].id]
        assert again[0].body == "Your next lesson is waiting."  # the stored row, unchanged
        entry = first[0]
        assert (entry.status, entry.channel, entry.attempts) == ("pending", "webhook", 0)
        assert entry.send_at == entry.next_attempt_at == T0
        other = engine.outbox.enqueue([message(period="2026-11-24"), message("u2")], at=T0)
        assert len({e.id for e in other} | {entry.id}) == 3
        assert engine.outbox.list().total == 3
        assert engine.outbox.list(user_id="u2").total == 1
        found = engine._services.outbox.find("default", "u1", "inactivity", "2026-11-23")
        assert found is not None and found.id == entry.id
        assert engine._services.outbox.find("default", "u1", "inactivity", "2030") is None

        bad = [
            message(payload={"url": "javascript:alert(1)"}),
            message("ghost"),
            message(channel="pigeon"),
        ]
        for record in bad:
            with pytest.raises(InvalidInput) as caught:
                engine.outbox.enqueue([message(period="x"), record], at=T0)
            assert caught.value.errors[0].record == "message 2"
        with pytest.raises(InvalidInput):
            engine.outbox.enqueue([message(period="y")], at="not a time")
        assert engine.outbox.list().total == 3  # nothing written by a rejected batch


def test_concurrent_enqueue_keeps_one_row(
    tmp_path: Path, database_url: str, embedder: CountingEmbedder
) -> None:
    with make(tmp_path, database_url, embedder) as engine:
        ids: list[str] = []
        errors: list[BaseException] = []
        start = threading.Barrier(6)

        def enqueue() -> None:
            try:
                start.wait()
                ids.extend(e.id for e in engine.outbox.enqueue([message()], at=T0))
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=enqueue) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert len(ids) == 6 and len(set(ids)) == 1
        assert engine.outbox.list().total == 1


def test_webhook_retried_with_backoff_then_signed_delivery(
    tmp_path: Path, database_url: str, embedder: CountingEmbedder
) -> None:
    with (
        Receiver(fail=2) as receiver,
        make(
            tmp_path,
            database_url,
            embedder,
            backoff_seconds=60,
            max_attempts=5,
            public_url="https://rapport.example.org/",
            tenants={"default": {"webhook_url": receiver.url, "webhook_secret": SECRET}},
        ) as engine,
    ):
        [entry] = engine.outbox.enqueue([message()], at=T0)
        first = engine.outbox.deliver(at=T0)
        assert (first.claimed, first.sent, first.retrying, first.failed) == (1, 0, 1, 0)
        waiting = first.entries[0]
        assert waiting.status == "pending" and waiting.attempts == 1
        assert waiting.next_attempt_at == T0 + timedelta(seconds=60)
        assert waiting.last_error == "webhook answered status 500"
        assert engine.outbox.deliver(at=T0 + timedelta(seconds=59)).claimed == 0

        second = engine.outbox.deliver(at=T0 + timedelta(seconds=60))
        assert second.entries[0].next_attempt_at == T0 + timedelta(seconds=180)  # doubled
        done = engine.outbox.deliver(at=T0 + timedelta(seconds=180))
        assert (done.sent, done.retrying) == (1, 0)
        sent = engine.outbox.get(entry.id)
        assert (sent.status, sent.attempts, sent.last_error) == ("sent", 3, "")
        assert sent.sent_at == T0 + timedelta(seconds=180)
        assert engine.outbox.deliver(at=T0 + timedelta(days=1)).claimed == 0

        assert receiver.attempts == 3 and len(receiver.received) == 1
        headers, body = receiver.received[0]
        assert verify(body, SECRET, headers[SIGNATURE_HEADER])
        assert not verify(body + b" ", SECRET, headers[SIGNATURE_HEADER])
        posted = json.loads(body)
        assert posted["id"] == entry.id and posted["user_id"] == "u1"
        assert posted["body"] == "Your next lesson is waiting." and posted["attempt"] == 3
        assert posted["link"] == (
            f"https://rapport.example.org/outbox/{entry.id}/click?tenant=default"
        )
        assert headers["X-Rapport-Delivery"] == entry.id

        events = engine.events.list(user_id="u1")
        assert [(e.id, e.type) for e in events] == [(f"nudge_sent:{entry.id}", "nudge_sent")]
        assert events[0].timestamp == T0 + timedelta(seconds=180)
        # Feedback names no item (the item is in its context) and weighs nothing.
        assert events[0].item_id is None and events[0].context["item_id"] == "lesson-7"
        assert SignalWeights().strength(events[0]) == 0.0


def test_permanent_failure_cancel_and_retry(
    tmp_path: Path, database_url: str, embedder: CountingEmbedder
) -> None:
    with (
        Receiver(fail=-1) as receiver,
        make(
            tmp_path,
            database_url,
            embedder,
            webhook_url=receiver.url,
            max_attempts=3,
            backoff_seconds=10,
            backoff_cap_seconds=15,
        ) as engine,
    ):
        [entry] = engine.outbox.enqueue([message()], at=T0)
        engine.outbox.deliver(at=T0)
        capped = engine.outbox.deliver(at=T0 + timedelta(seconds=10)).entries[0]
        assert capped.next_attempt_at == T0 + timedelta(seconds=25)  # 20 s capped to 15
        last = engine.outbox.deliver(at=T0 + timedelta(seconds=25))
        assert (last.failed, last.retrying) == (1, 0)
        failed = engine.outbox.get(entry.id)
        assert (failed.status, failed.attempts) == ("failed", 3)
        assert failed.last_error == "webhook answered status 500"
        assert engine.outbox.deliver(at=T0 + timedelta(days=1)).claimed == 0
        assert receiver.attempts == 3
        [event] = engine.events.list(user_id="u1")
        assert (event.id, event.type) == (f"nudge_failed:{entry.id}", "nudge_failed")

        with pytest.raises(Conflict):
            engine.outbox.cancel(entry.id)  # only pending messages
        again = engine.outbox.retry(entry.id, at=T0 + timedelta(days=2))
        assert (again.status, again.attempts, again.last_error) == ("pending", 0, "")
        cancelled = engine.outbox.cancel(entry.id, at=T0 + timedelta(days=2))
        assert cancelled.status == "cancelled"
        assert engine.outbox.cancel(entry.id).status == "cancelled"  # harmless twice
        assert engine.outbox.deliver(at=T0 + timedelta(days=3)).claimed == 0
        assert engine.outbox.list(status="cancelled").total == 1
        with pytest.raises(NotFound):
            engine.outbox.get("msg_missing")
        assert engine.outbox.list(tenant="other").total == 0  # tenants are apart


def test_unconfigured_channels_fail_loudly(
    tmp_path: Path, database_url: str, embedder: CountingEmbedder
) -> None:
    with make(tmp_path, database_url, embedder) as engine:
        webhook, email = engine.outbox.enqueue([message(), message("u2", channel="email")], at=T0)
        report = engine.outbox.deliver(at=T0)
        assert (report.failed, report.sent) == (2, 0)
        assert "webhook_url" in engine.outbox.get(webhook.id).last_error
        assert "smtp_host" in engine.outbox.get(email.id).last_error
        assert {e.type for e in engine.events.list()} == {"nudge_failed"}


def test_email_to_a_real_smtp_server(
    tmp_path: Path,
    database_url: str,
    embedder: CountingEmbedder,
    smtp: tuple[Mailbox, int],
) -> None:
    mailbox, port = smtp
    with make(
        tmp_path,
        database_url,
        embedder,
        default_channel="email",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        smtp_from="Rapport <nudges@school.example>",
        public_url="https://rapport.example.org",
    ) as engine:
        engine.users.add([{"id": "u3"}])
        # u2's address comes from its stored context, u1's from the message itself.
        with engine._services.store.engine.begin() as conn:
            conn.execute(
                insert(user_contexts).values(
                    tenant_id="default",
                    user_id="u2",
                    context={"email": "bo@school.example"},
                    updated_at=T0,
                )
            )
        first, second, refused = engine.outbox.enqueue(
            [
                message(payload={"to": "ada@school.example", "url": "https://l.example/1"}),
                message("u2", subject="Session in 1 hour", kind="reminder", trigger="session"),
                message("u3", payload={"to": "cy@refused.example"}),
            ],
            at=T0,
        )
        report = engine.outbox.deliver(at=T0)
        assert (report.sent, report.failed) == (2, 1)

        by_rcpt = {tuple(rcpts): mail for rcpts, mail in mailbox.mails}
        assert set(by_rcpt) == {("ada@school.example",), ("bo@school.example",)}
        mail = by_rcpt[("ada@school.example",)]
        assert mail["Subject"] == "We miss you"
        assert mail["From"] == "Rapport <nudges@school.example>"
        assert mail["To"] == "ada@school.example"
        assert mail["Message-ID"] == f"<{first.id}@school.example>"
        text = mail.get_payload(decode=True).decode()
        assert "Your next lesson is waiting." in text
        assert f"https://rapport.example.org/outbox/{first.id}/click?tenant=default" in text
        assert by_rcpt[("bo@school.example",)]["Subject"] == "Session in 1 hour"

        gone = engine.outbox.get(refused.id)
        assert gone.status == "failed" and gone.attempts == 1  # a refusal is final
        assert gone.last_error == "email: recipient refused"
        assert "@" not in gone.last_error
        assert engine.outbox.get(second.id).status == "sent"


def test_click_records_once_and_redirects_only_to_the_stored_link(
    tmp_path: Path, embedder: CountingEmbedder
) -> None:
    with (
        Engine(data=tmp_path, embedder=embedder, api_key="admin-key") as engine,
        LiveServer(engine) as live,
    ):
        engine.users.add([{"id": "u1"}])
        linked, plain = engine.outbox.enqueue([message(), message(period="p2", payload={})], at=T0)
        with httpx.Client(base_url=live.url, follow_redirects=False) as client:
            assert client.get("/outbox").status_code == 401  # the rest needs a key
            url = f"/outbox/{linked.id}/click?tenant=default"
            for _ in range(2):
                response = client.get(url)
                assert response.status_code == 302
                assert response.headers["location"] == "https://learn.example.org/lesson/7"
            foreign = client.get(url + "&url=https://evil.example/&next=https://evil.example/")
            assert foreign.headers["location"] == "https://learn.example.org/lesson/7"
            assert client.get(f"/outbox/{plain.id}/click").status_code == 404
            assert client.get("/outbox/msg_nothing/click").status_code == 404
            assert client.get(f"/outbox/{linked.id}/click?tenant=other").status_code == 404
        clicks = [e for e in engine.events.list(user_id="u1") if e.type == "nudge_click"]
        assert [e.id for e in clicks] == [f"nudge_click:{linked.id}"]
        assert clicks[0].item_id is None and SignalWeights().strength(clicks[0]) == 0.0


def test_rest_matches_the_library(engine: Engine, live: LiveServer) -> None:
    engine.users.add([{"id": "u1"}])
    with httpx.Client(base_url=live.url) as client:
        created = client.post("/outbox", params={"at": T0.isoformat()}, json=[message()])
        assert created.status_code == 200, created.text
        [entry] = created.json()
        assert entry == engine.outbox.get(entry["id"]).model_dump(mode="json")
        again = client.post("/outbox", json=[message()]).json()
        assert again[0]["id"] == entry["id"]
        listed = client.get("/outbox", params={"status": "pending", "user_id": "u1"}).json()
        assert listed == engine.outbox.list(status="pending", user_id="u1").model_dump(mode="json")
        assert listed["total"] == 1
        assert client.get(f"/outbox/{entry['id']}").json() == entry
        assert client.get("/outbox/msg_missing").status_code == 404
        assert client.get("/outbox", params={"status": "lost"}).status_code == 422
        bad = client.post("/outbox", json=[message(payload={"url": "ftp://x"})])
        assert bad.status_code == 422 and "payload" in bad.text

        cancelled = client.post(f"/outbox/{entry['id']}/cancel").json()
        assert cancelled["status"] == "cancelled"
        retried = client.post(
            f"/outbox/{entry['id']}/retry", params={"at": (T0 + timedelta(1)).isoformat()}
        ).json()
        assert retried["status"] == "pending"
        assert retried["next_attempt_at"] == "2026-11-24T09:00:00Z"
        report = client.post("/outbox/deliver", params={"at": "2026-11-24T09:00:00"}).json()
        # No webhook configured: a clear failure on the row, not a silent drop.
        assert (report["claimed"], report["failed"]) == (1, 1)
        assert "webhook_url" in report["entries"][0]["last_error"]
        assert client.post(f"/outbox/{entry['id']}/cancel").status_code == 409
        assert client.post("/outbox/deliver", params={"at": "soon"}).status_code == 422


def test_cli(tmp_path: Path, cli: Cli, embedder: CountingEmbedder) -> None:
    with Receiver() as receiver:
        (tmp_path / "rapport.toml").write_text(
            f'[outbox]\nwebhook_url = "{receiver.url}"\nwebhook_secret = "{SECRET}"\n'
        )
        with Engine(data=tmp_path, embedder=embedder) as engine:
            engine.users.add([{"id": "u1"}, {"id": "u2"}])
            first, second = engine.outbox.enqueue([message(), message("u2")], at=T0)

        listed = cli("outbox", "list", "--status", "pending", "--json").json()
        assert listed["total"] == 2
        assert cli("outbox", "list", "--user", "u2", "--json").json()["items"][0]["id"] == (
            second.id
        )
        assert cli("outbox", "show", first.id, "--json").json()["status"] == "pending"
        cancelled = cli("outbox", "cancel", second.id, "--at", "2026-11-23T09:00:00", "--json")
        assert cancelled.json()["status"] == "cancelled"
        report = cli("outbox", "deliver", "--at", "2026-11-23T09:05:00", "--json").json()
        assert (report["claimed"], report["sent"]) == (1, 1)
        assert report["entries"][0]["id"] == first.id
        assert len(receiver.received) == 1
        retried = cli("outbox", "retry", second.id, "--at", "2026-11-23T10:00:00", "--json")
        assert retried.json()["status"] == "pending"
        human = cli("outbox", "deliver", "--at", "2026-11-23T10:00:00")
        assert human.returncode == 0 and "1 sent" in human.stdout
        assert cli("outbox", "retry", first.id).returncode == 1  # sent stays sent (409)
        assert cli("outbox", "list", "--status", "lost").returncode == 2
        assert cli("outbox", "deliver", "--at", "yesterday-ish").returncode == 2
        assert cli("outbox", "show", "msg_missing").returncode == 1


def test_job_delivers_every_tenant(tmp_path: Path, embedder: CountingEmbedder) -> None:
    with (
        Receiver() as receiver,
        Engine(data=tmp_path, embedder=embedder, outbox={"webhook_url": receiver.url}) as engine,
    ):
        past = datetime(2020, 1, 1, tzinfo=UTC)  # due whatever the clock says
        for tenant in ("default", "clinic"):
            engine.users.add([{"id": "u1"}], tenant=tenant)
            engine.outbox.enqueue([message()], at=past, tenant=tenant)
        job = DeliverOutboxJob(engine, interval=3600)
        assert job.run_once() == {"default": 1, "clinic": 1}
        assert job.run_once() == {}
        assert len(receiver.received) == 2
        tenants = sorted(json.loads(body)["tenant"] for _, body in receiver.received)
        assert tenants == ["clinic", "default"]


def test_concurrent_deliveries_send_each_message_once(
    tmp_path: Path, database_url: str, embedder: CountingEmbedder
) -> None:
    with (
        Receiver() as receiver,
        make(tmp_path, database_url, embedder, webhook_url=receiver.url) as engine,
    ):
        users = [{"id": f"p{n}"} for n in range(12)]
        engine.users.add(users)
        engine.outbox.enqueue([message(u["id"]) for u in users], at=T0)
        reports: list[int] = []
        start = threading.Barrier(3)

        def deliver() -> None:
            start.wait()
            reports.append(engine.outbox.deliver(at=T0).sent)

        threads = [threading.Thread(target=deliver) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(reports) == 12
        ids = sorted(json.loads(body)["id"] for _, body in receiver.received)
        assert len(ids) == 12 and len(set(ids)) == 12
        assert engine.outbox.list(status="sent", limit=100).total == 12


def test_a_claim_left_by_a_dead_sender_comes_back_after_the_lease(
    tmp_path: Path, embedder: CountingEmbedder
) -> None:
    with (
        Receiver() as receiver,
        make(
            tmp_path, f"sqlite:///{tmp_path / 'r.db'}", embedder, webhook_url=receiver.url
        ) as engine,
    ):
        [entry] = engine.outbox.enqueue([message()], at=T0)
        store = engine._services.outbox.store
        lease = timedelta(seconds=300)
        [claimed] = store.claim_due("default", T0, 10, lease)  # then the sender "dies"
        assert claimed.attempts == 1 and claimed.next_attempt_at == T0 + lease
        assert store.claim_due("default", T0, 10, lease) == []  # nobody else takes it
        assert engine.outbox.deliver(at=T0 + timedelta(seconds=299)).claimed == 0
        report = engine.outbox.deliver(at=T0 + lease)
        assert report.sent == 1 and report.entries[0].attempts == 2
        assert [json.loads(b)["id"] for _, b in receiver.received] == [entry.id]


class Pigeon:
    """A channel plugged in by name, the way a Discord DM channel would be."""

    name = "pigeon"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.carried: list[str] = []

    def send(self, delivery: Delivery, timeout: float) -> None:
        trigger = delivery.entry.trigger
        if trigger == "cancelled_midway":
            self.engine.outbox.cancel(delivery.entry.id)
            raise ChannelError("pigeon lost")
        if trigger == "bug":
            raise RuntimeError("a bug in the channel")
        self.carried.append(delivery.entry.id)


def test_a_registered_channel_and_outcomes_that_race_a_cancel(
    tmp_path: Path, embedder: CountingEmbedder
) -> None:
    with make(tmp_path, f"sqlite:///{tmp_path / 'r.db'}", embedder) as engine:
        pigeon = Pigeon(engine)
        engine._services.outbox_channels.register(pigeon)
        fine, midway, bug = engine.outbox.enqueue(
            [
                message(channel="pigeon"),
                message(channel="pigeon", trigger="cancelled_midway"),
                message(channel="pigeon", trigger="bug"),
            ],
            at=T0,
        )
        report = engine.outbox.deliver(at=T0)
        assert (report.sent, report.retrying, report.failed) == (1, 1, 0)
        assert pigeon.carried == [fine.id]
        # Cancelled while being attempted: the failure does not bring it back.
        assert engine.outbox.get(midway.id).status == "cancelled"
        # A channel's own bug fails the attempt (retried), never the delivery pass.
        broken = engine.outbox.get(bug.id)
        assert (broken.status, broken.last_error) == ("pending", "a bug in the channel")


@pytest.fixture(scope="module")
def relay_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    """A private CA (trustme) and the server context of a relay certified by it."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    pem = tmp_path_factory.mktemp("relay-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    return server, pem


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_email_over_verified_tls(
    tmp_path: Path,
    embedder: CountingEmbedder,
    relay_ca: tuple[ssl.SSLContext, Path],
    security: str,
) -> None:
    server_context, ca_file = relay_ca
    mailbox, port = Mailbox(), free_port()
    tls: dict[str, Any] = (
        {"tls_context": server_context, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": server_context}
    )
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **tls)
    controller.start()
    settings = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": security,
        "smtp_from": "n@school.example",
    }
    try:
        # The system's trust store does not know the relay's CA: refused, nothing sent.
        with make(tmp_path / "a", f"sqlite:///{tmp_path / 'a.db'}", embedder, **settings) as engine:
            [entry] = engine.outbox.enqueue(
                [message(channel="email", payload={"to": "ada@school.example"})], at=T0
            )
            assert engine.outbox.deliver(at=T0).retrying == 1  # the relay may be fixed
            assert "CERTIFICATE_VERIFY_FAILED" in engine.outbox.get(entry.id).last_error
        assert mailbox.mails == []
        # Trusting that CA: delivered over TLS.
        trusted = {**settings, "smtp_ca_file": str(ca_file)}
        with make(tmp_path / "b", f"sqlite:///{tmp_path / 'b.db'}", embedder, **trusted) as engine:
            [entry] = engine.outbox.enqueue(
                [message(channel="email", payload={"to": "ada@school.example"})], at=T0
            )
            assert engine.outbox.deliver(at=T0).sent == 1
            assert engine.outbox.get(entry.id).status == "sent"
        assert [rcpts for rcpts, _ in mailbox.mails] == [["ada@school.example"]]
    finally:
        controller.stop()


def test_log_channel_writes_the_message_to_the_log(sqlite_engine: Engine) -> None:
    from structlog.testing import capture_logs

    from rapport.core.logging import configure_logging

    configure_logging("info")  # another test may have left the level at warning
    sqlite_engine.users.add([{"id": "u1"}])
    [entry] = sqlite_engine.outbox.enqueue(
        [message(channel="log", payload={"url": "https://l.example/1"})], at=T0
    )
    with capture_logs() as logs:
        assert sqlite_engine.outbox.deliver(at=T0).sent == 1
    [line] = [line for line in logs if line["event"] == "outbox message"]
    assert (line["id"], line["subject"], line["link"]) == (
        entry.id,
        "We miss you",
        "https://l.example/1",
    )
    assert sqlite_engine.outbox.get(entry.id).status == "sent"


def test_the_demo_logs_messages_only_when_nothing_is_configured() -> None:
    from rapport.core.config import Settings
    from rapport.demo.loader import log_messages_unless_configured

    bare = Settings()
    assert log_messages_unless_configured(bare) and bare.outbox["default_channel"] == "log"
    configured = Settings(outbox={"webhook_url": "https://hooks.example/x"})
    assert not log_messages_unless_configured(configured)
    assert configured.outbox == {"webhook_url": "https://hooks.example/x"}


def test_email_never_falls_back_to_plain_text(
    tmp_path: Path, embedder: CountingEmbedder, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp  # this server offers no STARTTLS
    settings = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_from": "n@school.example"}
    with make(tmp_path, f"sqlite:///{tmp_path / 'r.db'}", embedder, **settings) as engine:
        [entry] = engine.outbox.enqueue(
            [message(channel="email", payload={"to": "ada@school.example"})], at=T0
        )
        assert engine.outbox.deliver(at=T0).failed == 1
        failed = engine.outbox.get(entry.id)
        assert "STARTTLS" in failed.last_error and "@" not in failed.last_error
        assert mailbox.mails == []
