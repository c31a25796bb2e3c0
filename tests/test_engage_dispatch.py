"""One dispatch pass, replayed: due nudges go into the outbox once per user, trigger and
period, a queued nudge whose user came back is cancelled before it goes out, the rest is
delivered through the user's channel; REST and CLI run the same pass."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx

from rapport.engine import Engine
from rapport.services.engage.outbox.channels import Delivery
from tests.conftest import Cli, LiveServer
from tests.engage_world import T0, H, event, user

EVENING = datetime(2026, 3, 12, 18, tzinfo=T0.tzinfo)  # both users' next delivery hour


class Pigeon:
    """A channel plugged in by name, recording what it carried."""

    name = "pigeon"

    def __init__(self) -> None:
        self.carried: list[str] = []

    def send(self, delivery: Delivery, timeout: float) -> None:
        self.carried.append(delivery.entry.id)


def _world(engine: Engine) -> Pigeon:
    pigeon = Pigeon()
    engine._services.outbox_channels.register(pigeon)
    for name in ("ana", "bo"):
        user(engine, name, profile={"interests": ["photography"], "preferred_channel": "pigeon"})
    event(engine, "ana", "view", T0)
    event(engine, "bo", "view", T0 + 10 * H)
    return pigeon


def test_due_nudges_are_queued_once_cancelled_when_stale_and_delivered(
    sqlite_engine: Engine,
) -> None:
    engine = sqlite_engine
    pigeon = _world(engine)
    night = T0 + 34 * H  # both idle for over 24 hours; their best hour is tomorrow 18:00
    assert engine.engage.dispatch(night, plan_nudges=False).queued == []  # a delivery-only pass
    first = engine.engage.dispatch(night)
    assert sorted((e.user_id, e.trigger, e.status) for e in first.queued) == [
        ("ana", "inactivity", "pending"),
        ("bo", "inactivity", "pending"),
    ]
    assert {e.send_at for e in first.queued} == {EVENING}
    assert first.delivery.claimed == 0 and pigeon.carried == []
    audited = engine.audit.list(action="nudge").items  # what was decided, and written how
    assert sorted(a.model for a in audited) == ["template", "template"]
    assert sorted(a.output for a in audited) == sorted(e.body for e in first.queued)
    again = engine.engage.dispatch(night)  # the next pass: queued once per period already
    assert again.queued == [] and engine.outbox.list().total == 2
    assert engine.audit.list(action="nudge").total == 2

    # A nudge the platform queued itself is sent as it is, never re-judged.
    (own,) = engine.outbox.enqueue(
        [{"user_id": "ana", "trigger": "inactivity", "period": "platform", "send_at": EVENING,
          "channel": "pigeon", "body": "Your cohort meets tonight."}],
        at=night,
    )  # fmt: skip
    event(engine, "ana", "click", T0 + 40 * H)  # ana came back before her nudge went out
    evening = engine.engage.dispatch(EVENING)
    ana = next(e for e in first.queued if e.user_id == "ana")
    bo = next(e for e in first.queued if e.user_id == "bo")
    assert evening.cancelled == [ana.id]
    assert engine.outbox.get(ana.id).status == "cancelled"
    assert evening.delivery.sent == 2 and sorted(pigeon.carried) == sorted([bo.id, own.id])
    assert engine.outbox.get(bo.id).status == "sent"
    sent = [e for e in engine.events.list() if e.type == "nudge_sent"]
    assert sorted((e.user_id, e.timestamp) for e in sent) == [("ana", EVENING), ("bo", EVENING)]


def test_rest_and_cli_run_the_same_pass(sqlite_engine: Engine, tmp_path: Path) -> None:
    _world(sqlite_engine)  # the CLI's engine has no pigeon: its users fall back to webhook
    night = (T0 + 34 * H).isoformat()
    with LiveServer(sqlite_engine) as live:
        got = httpx.post(f"{live.url}/nudges/dispatch", params={"at": night})
        body = got.raise_for_status().json()
        bad = httpx.post(f"{live.url}/nudges/dispatch", params={"at": "soon-ish"})
    assert sorted(e["user_id"] for e in body["queued"]) == ["ana", "bo"]
    assert body["delivery"]["claimed"] == 0
    assert bad.status_code == 422 and "at" in bad.text
    ran = Cli(tmp_path)("dispatch", "--at", night, "--json")
    assert ran.returncode == 0
    assert ran.json()["queued"] == [] and ran.json()["tenant"] == "default"
    assert Cli(tmp_path)("dispatch", "--at", "soon-ish").returncode == 2
