"""Delete-my-data and export: everything about a user, in one call; after erasure no table,
free page or write-ahead log still holds them, also when the server is stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert, select

from rapport.core.errors import NotFound
from rapport.core.models import utcnow
from rapport.engine import Engine
from rapport.interfaces.api.server import free_port
from tests.conftest import Cli, LiveServer

MARK = "quokka-zanzibar-7781"  # appears only in what belongs to the erased user


def _seed(engine: Engine) -> None:
    engine.users.add(
        [
            {"id": "ana", "profile": {"interests": [MARK], "goals": [f"learn {MARK}"]}},
            {"id": "bo", "profile": {"interests": ["chess"]}},
        ]
    )
    engine.events.add(
        [
            {"id": "e1", "user_id": "ana", "item_id": "x", "type": "like"},
            {"id": "e2", "user_id": "bo", "item_id": "x", "type": "like"},
        ]
    )
    # Rows of the assistant and safety tables, written as their services will write them.
    from rapport.core.store import schema

    now = utcnow()
    with engine._services.store.engine.begin() as conn:
        conn.execute(
            insert(schema.onboarding_sessions),
            [
                dict(tenant_id="default", id="s1", user_id="ana", step=2, status="open",
                     answers=[MARK], profile={}, created_at=now, updated_at=now),
            ],
        )  # fmt: skip
        conn.execute(
            insert(schema.conversations),
            [dict(tenant_id="default", id="c1", user_id="ana", summary=MARK,
                  created_at=now, updated_at=now)],
        )  # fmt: skip
        conn.execute(
            insert(schema.conversation_messages),
            [
                dict(tenant_id="default", conversation_id="c1", position=i, role=role,
                     content=f"{role} {MARK}", data={}, created_at=now)
                for i, role in enumerate(["user", "assistant"])
            ],
        )  # fmt: skip
        conn.execute(
            insert(schema.generations),
            [dict(tenant_id="default", id="g1", user_id="ana", kind="post", request={},
                  output={"text": MARK}, mode="template", model="", created_at=now)],
        )  # fmt: skip
        conn.execute(
            insert(schema.escalations),
            [dict(tenant_id="default", id="x1", user_id="ana", source="chat",
                  category="suicide_self_harm", severity="high", score=0.9, excerpt=MARK,
                  status="open", note="", created_at=now, updated_at=now)],
        )  # fmt: skip
        later = now.replace(year=now.year + 1)
        for table, row in {
            schema.user_contexts: dict(context={"place": MARK}, updated_at=now),
            schema.outbox: dict(
                id="o1",
                kind="nudge",
                trigger="inactivity",
                period="p",
                channel="email",
                body=MARK,
                payload={},
                status="pending",
                send_at=now,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            ),
            schema.schedule_preferences: dict(config={"note": MARK}, updated_at=now),
            schema.busy_times: dict(id="b1", starts_at=now, ends_at=later, summary=MARK),
            schema.scheduled_sessions: dict(
                id="ss1", title=MARK, starts_at=now, ends_at=later, status="booked", created_at=now
            ),
            schema.plans: dict(
                id="p1", week_of="2026-11-23", request={}, events=[], summary=MARK, created_at=now
            ),
            schema.impressions: dict(id="i1", list_id=MARK, item_id="x", rank=1, created_at=now),
        }.items():
            conn.execute(insert(table), [dict(tenant_id="default", user_id="ana", **row)])


def test_export_holds_everything_about_the_user(engine: Engine) -> None:
    _seed(engine)
    exported = engine.users.export("ana")
    assert exported.user.profile.interests == [MARK]
    assert [e.id for e in exported.events] == ["e1"]
    assert [s["id"] for s in exported.onboarding_sessions] == ["s1"]
    (thread,) = exported.conversations
    assert [m["role"] for m in thread["messages"]] == ["user", "assistant"]
    assert [g["output"] for g in exported.generations] == [{"text": MARK}]
    assert [x["severity"] for x in exported.escalations] == ["high"]
    assert [p["summary"] for p in exported.plans] == [MARK]
    assert [o["body"] for o in exported.outbox] == [MARK]
    assert [i["list_id"] for i in exported.impressions] == [MARK]
    assert MARK not in engine.users.export("bo").model_dump_json()
    with pytest.raises(NotFound):
        engine.users.export("nobody")


def test_erasure_removes_every_row_and_keeps_escalations_anonymous(engine: Engine) -> None:
    _seed(engine)
    removed = engine.users.delete("ana")
    assert removed.deleted == {
        "events": 1,
        "onboarding_sessions": 1,
        "conversations": 1,
        "generations": 1,
        "user_contexts": 1,
        "outbox": 1,
        "schedule_preferences": 1,
        "busy_times": 1,
        "scheduled_sessions": 1,
        "plans": 1,
        "impressions": 1,
        "vectors": 0,
        "escalations_anonymised": 1,
        "users": 1,
    }
    with pytest.raises(NotFound):
        engine.users.get("ana")
    assert [e.user_id for e in engine.events.list()] == ["bo"]
    from rapport.core.store import schema

    with engine._services.store.engine.connect() as conn:
        assert conn.execute(select(schema.conversation_messages)).all() == []
        kept = conn.execute(select(schema.escalations)).mappings().one()
    assert kept["user_id"] is None and kept["excerpt"] == "" and kept["severity"] == "high"
    with pytest.raises(NotFound):
        engine.users.delete("ana")


def _files_holding(folder: Path, mark: str) -> list[str]:
    return [p.name for p in folder.glob("rapport.db*") if mark.encode() in p.read_bytes()]


def test_erased_user_leaves_no_bytes_in_the_sqlite_file_or_its_log(sqlite_engine: Engine) -> None:
    _seed(sqlite_engine)
    folder = sqlite_engine.settings.data
    assert _files_holding(folder, MARK)  # the check can see the user before erasure
    sqlite_engine.users.delete("ana")
    assert _files_holding(folder, MARK) == []


def test_export_and_erase_over_rest_and_cli(engine: Engine) -> None:
    _seed(engine)
    with LiveServer(engine) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        exported = http.get("/users/ana/export")
        assert exported.status_code == 200
        assert exported.json() == {
            **engine.users.export("ana").model_dump(mode="json"),
            "exported_at": exported.json()["exported_at"],
        }
        assert http.get("/users/nobody/export").status_code == 404
        assert http.delete("/users/ana").json()["deleted"]["users"] == 1
    if engine.settings.database_url is None:  # the CLI opens the same SQLite data folder
        cli = Cli(engine.settings.data)
        shown = cli("users", "export", "bo")
        assert shown.returncode == 0 and shown.json()["user"]["id"] == "bo"
        assert cli("users", "export", "ana").returncode == 2


def test_sigterm_closes_the_server_and_merges_the_log(tmp_path: Path) -> None:
    """Stopped by SIGTERM right after an erasure, the server leaves no log behind and no
    trace of the user in the database file."""
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "rapport.interfaces.cli.main", "--data", str(tmp_path)]
    server = subprocess.Popen([*command, "serve", "--port", str(port), "--no-jobs"], env=env)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for _ in range(600):
                try:
                    if http.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                pytest.fail("the server did not start")
            created = http.post("/users", json={"id": "ana", "profile": {"goals": [MARK]}})
            assert created.status_code == 201
            assert http.delete("/users/ana").status_code == 200
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
    finally:
        if server.poll() is None:
            server.kill()
    assert (tmp_path / "rapport.db").is_file()
    assert (
        not (tmp_path / "rapport.db-wal").exists()
        or (tmp_path / "rapport.db-wal").stat().st_size == 0
    )
    assert _files_holding(tmp_path, MARK) == []
