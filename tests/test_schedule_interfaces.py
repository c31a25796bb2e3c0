"""Scheduling and plans over REST (the real app over HTTP) and the CLI: the same shapes as the
library, calendars imported from a file upload and from a URL on a real local HTTP server,
two concurrent bookings of one slot giving one 201 and one 409, bad input naming the field."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import icalendar
import pytest

from rapport.core.errors import InvalidInput
from rapport.engine import Engine
from tests.conftest import Cli, CountingEmbedder, LiveServer
from tests.test_schedule import WEEKLY_ICS, world

AT = "2026-11-20T09:00:00Z"
WEEK = datetime(2026, 11, 23, tzinfo=UTC)
IMPORTED_AT = datetime(2026, 11, 20, 9, tzinfo=UTC)  # AT as a datetime


@pytest.fixture
def calendar_server() -> Iterator[str]:
    """A real HTTP server on loopback serving WEEKLY_ICS at /work.ics."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/work.ics":
                self.send_response(404)
                self.end_headers()
                return
            body = WEEKLY_ICS.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_rest_schedule_flow(engine: Engine, live: LiveServer, calendar_server: str) -> None:
    world(engine)
    with httpx.Client(base_url=live.url, timeout=30) as http:
        put = http.put(
            "/items/ana/availability",
            json={
                "timezone": "Europe/Lisbon",
                "weekly": [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)],
            },
        )
        assert put.status_code == 200, put.text
        assert http.get("/items/ana/availability").json() == put.json()
        prefs = http.put("/users/maya/schedule-preferences", json={"time_of_day": ["afternoon"]})
        assert prefs.json()["preferences"]["time_of_day"] == ["afternoon"]
        # Upload as a file; a URL on a private or local address is refused by default.
        upload = http.post(
            f"/users/maya/calendar?at={AT}&source=work",
            content=WEEKLY_ICS,
            headers={"Content-Type": "text/calendar"},
        )
        assert upload.status_code == 200, upload.text
        by_url = http.post(
            f"/users/maya/calendar?at={AT}", json={"url": f"{calendar_server}/work.ics"}
        )
        assert upload.json()["imported"] > 10
        assert by_url.status_code == 422 and "calendar_private_urls" in by_url.text
        field = by_url.json()["error"]["details"][0]["field"]
        assert field == "url"

        body = {
            "item_id": "ana",
            "from": WEEK.isoformat(),
            "to": (WEEK + timedelta(days=5)).isoformat(),
            "count": 3,
        }
        proposal = http.post(f"/users/maya/sessions/propose?at={AT}", json=body)
        assert proposal.status_code == 200, proposal.text
        library = engine.schedule.propose(
            "maya",
            item_id="ana",
            from_=WEEK,
            to=WEEK + timedelta(days=5),
            count=3,
            at=datetime(2026, 11, 20, 9, tzinfo=UTC),
        )
        assert proposal.json() == library.model_dump(mode="json")
        best = proposal.json()["slots"][0]
        assert "afternoon, your preferred time" in best["reasons"][0]

        booked = http.post(
            f"/users/maya/sessions?at={AT}", json={"item_id": "ana", "start": best["start"]}
        )
        assert booked.status_code == 201, booked.text
        again = http.post(
            f"/users/omar/sessions?at={AT}", json={"item_id": "ana", "start": best["start"]}
        )
        assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
        listed = http.get("/users/maya/sessions").json()
        assert [s["id"] for s in listed] == [booked.json()["id"]]

        ics = http.get(f"/users/maya/calendar.ics?at={AT}")
        assert ics.headers["content-type"].startswith("text/calendar")
        events = list(icalendar.Calendar.from_ical(ics.text).walk("VEVENT"))
        assert [str(e["UID"]) for e in events] == [f"{booked.json()['id']}@rapport"]

        start = datetime.fromisoformat(best["start"])
        due = http.get(
            f"/reminders?at={(start - timedelta(minutes=30)).isoformat()}".replace("+", "%2B")
        )
        assert [r["session_id"] for r in due.json()] == [booked.json()["id"]]

        cancelled = http.delete(f"/users/maya/sessions/{booked.json()['id']}")
        assert cancelled.json()["status"] == "cancelled"
        assert http.get("/users/maya/sessions").json() == []


def test_rest_concurrent_bookings_give_one_409(engine: Engine, live: LiveServer) -> None:
    world(engine)
    statuses: list[int] = []
    barrier = threading.Barrier(2)
    start = (WEEK + timedelta(hours=11)).isoformat()

    def book(user: str) -> None:
        with httpx.Client(base_url=live.url, timeout=30) as http:
            barrier.wait()
            response = http.post(
                f"/users/{user}/sessions?at={AT}", json={"item_id": "ana", "start": start}
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=book, args=(u,)) for u in ("maya", "omar")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 409]


def test_rest_plan_and_bad_input(engine: Engine, live: LiveServer) -> None:
    world(engine)
    with httpx.Client(base_url=live.url, timeout=30) as http:
        made = http.post(
            f"/users/maya/plan?at={AT}",
            json={"week_of": "2026-11-23", "hours": 6, "effort": "medium"},
        )
        assert made.status_code == 201, made.text
        plan = made.json()
        assert {"events", "summary"} <= set(plan)
        assert all({"title", "start", "end", "goal"} <= set(e) for e in plan["events"])
        assert len(plan["events"]) == 6
        as_ics = http.post(
            f"/users/maya/plan?at={AT}&format=ics",
            json={"week_of": "2026-11-23", "hours": 2, "effort": "high"},
        )
        assert as_ics.headers["content-type"].startswith("text/calendar")
        assert len(list(icalendar.Calendar.from_ical(as_ics.text).walk("VEVENT"))) == 2
        assert len(http.get("/users/maya/plans").json()) == 2

        def field_of(response: httpx.Response) -> list[str]:
            assert response.status_code == 422, response.text
            return [d["field"] for d in response.json()["error"]["details"]]

        bad_to = http.post(
            f"/users/maya/sessions/propose?at={AT}",
            json={"item_id": "ana", "from": "2026-11-24T10:00:00Z", "to": "2026-11-24T09:00:00Z"},
        )
        assert field_of(bad_to) == ["to"]
        bad_tz = http.put("/items/ana/availability", json={"timezone": "Mars/Olympus"})
        assert any("timezone" in f for f in field_of(bad_tz))
        bad_window = http.put(
            "/items/ana/availability",
            json={"weekly": [{"weekday": 1, "start": "18:00", "end": "08:00"}]},
        )
        assert field_of(bad_window) == ["weekly.0.end"]
        bad_effort = http.post(
            f"/users/maya/plan?at={AT}", json={"week_of": "2026-11-23", "hours": 2, "effort": "max"}
        )
        assert any("effort" in f for f in field_of(bad_effort))
        unknown = http.post(f"/users/maya/sessions/propose?at={AT}", json={"item_id": "nobody"})
        assert unknown.status_code == 404
        assert http.get("/items/ana/availability").json()["weekly"][0]["start"] == "08:00"


def test_cli_schedule_and_plan(cli: Cli, tmp_path: Path) -> None:
    users = tmp_path / "users.jsonl"
    users.write_text(
        '{"id": "maya", "timezone": "Asia/Tokyo", "profile": {"goals": ["learn SQL"]}}\n'
    )
    items = tmp_path / "items.jsonl"
    items.write_text('{"id": "ana", "kind": "mentor", "title": "Ana Costa"}\n')
    calendar = tmp_path / "work.ics"
    calendar.write_text(WEEKLY_ICS)
    assert cli("users", "import", str(users)).returncode == 0
    assert cli("items", "import", str(items)).returncode == 0
    window = cli(
        "schedule",
        "availability",
        "ana",
        "--timezone",
        "Europe/Lisbon",
        "--weekly",
        "mon 08:00-13:00",
        "--weekly",
        "tue 08:00-13:00",
        "--json",
    ).json()
    assert window["weekly"] == [
        {"weekday": 0, "start": "08:00", "end": "13:00"},
        {"weekday": 1, "start": "08:00", "end": "13:00"},
    ]
    imported = cli("schedule", "import", "maya", str(calendar), "--at", AT, "--json").json()
    assert imported["source"] == "work.ics" and imported["imported"] > 10
    proposal = cli(
        "schedule",
        "propose",
        "maya",
        "--with",
        "ana",
        "--from",
        WEEK.isoformat(),
        "--to",
        (WEEK + timedelta(days=2)).isoformat(),
        "--count",
        "2",
        "--at",
        AT,
        "--json",
    ).json()
    # Tokyo evenings: Lisbon 08:00-13:00 is Tokyo 17:00-22:00; Tue 09:00-10:00 is busy.
    assert [s["local_start"][11:16] for s in proposal["slots"]] == ["17:00", "17:00"]
    start = proposal["slots"][0]["start"]
    booked = cli(
        "schedule", "book", "maya", "--with", "ana", "--start", start, "--at", AT, "--json"
    )
    assert booked.json()["status"] == "booked"
    clash = cli("schedule", "book", "maya", "--with", "ana", "--start", start, "--at", AT)
    assert clash.returncode == 1 and "already have" in clash.stderr
    sessions = cli("schedule", "sessions", "maya", "--json").json()
    assert [s["id"] for s in sessions] == [booked.json()["id"]]

    plan = cli(
        "plan",
        "maya",
        "--week-of",
        "2026-11-23",
        "--hours",
        "6",
        "--effort",
        "medium",
        "--at",
        AT,
        "--json",
    ).json()
    assert {"events", "summary"} <= set(plan)
    assert (
        sum(
            (datetime.fromisoformat(e["end"]) - datetime.fromisoformat(e["start"])).total_seconds()
            for e in plan["events"]
        )
        == 6 * 3600
    )
    assert {e["goal"] for e in plan["events"]} == {"learn SQL"}
    ics = cli("plan", "maya", "--week-of", "2026-11-23", "--hours", "2", "--ics", "--at", AT)
    assert ics.returncode == 0
    assert len(list(icalendar.Calendar.from_ical(ics.stdout).walk("VEVENT"))) == 2
    exported = cli("schedule", "ics", "maya", "--at", AT)
    assert exported.stdout.count("BEGIN:VEVENT") == 1 + 2  # the session + the newest plan
    bad = cli("plan", "maya", "--week-of", "2026-11-23", "--hours", "2", "--effort", "max")
    assert bad.returncode == 2 and "effort" in bad.stderr
    bad_tz = cli(
        "schedule",
        "availability",
        "ana",
        "--timezone",
        "Nowhere/Zone",
        "--weekly",
        "mon 08:00-09:00",
    )
    assert bad_tz.returncode == 2 and "timezone" in bad_tz.stderr


def test_calendar_urls_on_internal_addresses_need_the_setting(
    tmp_path: Path, embedder: CountingEmbedder, calendar_server: str
) -> None:
    with Engine(data=tmp_path, embedder=embedder, schedule={"calendar_private_urls": True}) as on:
        world(on)
        found = on.schedule.import_calendar(
            "maya", url=f"{calendar_server}/work.ics", at=IMPORTED_AT
        )
        assert found.imported > 10 and found.source == f"{calendar_server}/work.ics"
        with pytest.raises(InvalidInput) as missing:  # a 404 names the field too
            on.schedule.import_calendar("maya", url=f"{calendar_server}/nope.ics", at=IMPORTED_AT)
        assert missing.value.errors[0].field == "url"
