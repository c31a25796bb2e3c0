"""Bad input never gives a 500 and never slips in: each finding of the outside probe (issue
10) gets a 4xx naming the record and field (or CLI exit 2 with the message), and nothing is
written. Duplicate ids inside one batch are counted honestly, the same way the store treats
re-sent ids."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from rapport.core.logging import configure_logging
from rapport.engine import Engine
from rapport.interfaces.api.app import create_app
from rapport.interfaces.api.server import serving
from tests.conftest import Cli, CountingEmbedder, _fresh_postgres_database

BIG = 2**63
NAN_JSON = {"content-type": "application/json"}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, minilm: Any
) -> Iterator[httpx.Client]:
    """The real app over real HTTP, once per back end for the whole module (PostgreSQL
    refuses NUL characters and double label rows where SQLite may not)."""
    data = tmp_path_factory.mktemp("bad-input")
    url = f"sqlite:///{data / 'rapport.db'}"
    if request.param == "postgres":
        url = _fresh_postgres_database(request.getfixturevalue("postgres_server"))
    with Engine(data=data, database_url=url, embedder=CountingEmbedder(minilm)) as engine:
        engine.items.add([{"id": "known", "title": "A known item", "price": 5}])
        engine.events.add([{"id": "seen", "user_id": "ana", "item_id": "known", "type": "view"}])
        with serving(engine) as base, httpx.Client(base_url=base, timeout=60) as client:
            yield client


def _counts(api: httpx.Client) -> dict[str, Any]:
    stats = api.get("/stats").json()
    documents = api.get("/kb/documents").json()["total"]
    return {**stats, "documents": documents}


# (name, method, path, query, JSON body or raw text, status, record, field)
REJECTED: list[tuple[str, str, str, dict[str, Any], Any, int, str, str]] = [
    ("items offset 2^63", "GET", "/items", {"offset": BIG}, None, 422, "query", "offset"),
    ("users offset 2^63", "GET", "/users", {"offset": BIG}, None, 422, "query", "offset"),
    (
        "documents offset 2^63",
        "GET",
        "/kb/documents",
        {"offset": BIG},
        None,
        422,
        "query",
        "offset",
    ),
    ("at=1e20", "GET", "/items", {"at": "1e20"}, None, 422, "query", "at"),
    (
        "at year 1 with offset",
        "GET",
        "/items",
        {"at": "0001-01-01T00:00:00+05:00"},
        None,
        422,
        "query",
        "at",
    ),
    (
        "at year 9999 with offset",
        "GET",
        "/search",
        {"q": "x", "at": "9999-12-31T23:00:00-05:00"},
        None,
        422,
        "query",
        "at",
    ),
    (
        "recommend at=1e20",
        "GET",
        "/users/ana/recommendations",
        {"at": "1e20"},
        None,
        422,
        "query",
        "at",
    ),
    ("min_price=inf", "GET", "/items", {"min_price": "inf"}, None, 422, "query", "min_price"),
    (
        "radius_km=nan",
        "GET",
        "/items",
        {"lat": 1, "lon": 1, "radius_km": "nan"},
        None,
        422,
        "query",
        "radius_km",
    ),
    (
        "event timestamp 1e20",
        "POST",
        "/events",
        {},
        [{"user_id": "u", "item_id": "known", "type": "view", "timestamp": 1e20}],
        422,
        "record 0",
        "timestamp",
    ),
    (
        "event timestamp '1e20'",
        "POST",
        "/events",
        {},
        [{"user_id": "u", "type": "view", "timestamp": "1e20"}],
        422,
        "record 0",
        "timestamp",
    ),
    (
        "event value NaN",
        "POST",
        "/events",
        {},
        '[{"user_id": "u", "item_id": "known", "type": "rate", "value": NaN}]',
        422,
        "record 0",
        "value",
    ),
    (
        "event context Infinity",
        "POST",
        "/events",
        {},
        '[{"user_id": "u", "type": "view", "context": {"pos": Infinity}}]',
        422,
        "record 0",
        "context",
    ),
    (
        "item starts_at 1e20",
        "POST",
        "/items",
        {},
        {"id": "new", "starts_at": 1e20},
        422,
        "body",
        "starts_at",
    ),
    (
        "item price Infinity",
        "POST",
        "/items",
        {},
        '{"id": "new", "price": Infinity}',
        422,
        "body",
        "price",
    ),
    (
        "item attribute NaN",
        "POST",
        "/items",
        {},
        '{"id": "new", "attributes": {"rating": {"avg": NaN}}}',
        422,
        "body",
        "attributes",
    ),
    ("item id with NUL", "POST", "/items", {}, {"id": "new\u0000"}, 422, "body", "id"),
    (
        "item title with NUL",
        "POST",
        "/items",
        {},
        {"id": "new", "title": "a\u0000b"},
        422,
        "body",
        "title",
    ),
    (
        "batch item tag with NUL",
        "POST",
        "/items/batch",
        {},
        [{"id": "new"}, {"id": "new2", "tags": ["a\u0000"]}],
        422,
        "record 1",
        "tags.0",
    ),
    (
        "user profile NaN",
        "POST",
        "/users",
        {},
        '{"id": "new", "profile": {"hours_per_week": NaN}}',
        422,
        "body",
        "profile.hours_per_week",
    ),
    (
        "user profile extra Infinity",
        "POST",
        "/users",
        {},
        '{"id": "new", "profile": {"score": Infinity}}',
        422,
        "body",
        "profile",
    ),
    (
        "user unknown time zone",
        "POST",
        "/users",
        {},
        {"id": "new", "timezone": "Mars/Olympus_Mons"},
        422,
        "body",
        "timezone",
    ),
    ("user id with NUL", "POST", "/users", {}, {"id": "new\u0000x"}, 422, "body", "id"),
    (
        "users batch, one NUL id",
        "POST",
        "/users/batch",
        {},
        [{"id": "new"}, {"id": "\u0000"}],
        422,
        "record 1",
        "id",
    ),
    (
        "user location NaN",
        "POST",
        "/users",
        {},
        '{"id": "new", "location": {"lat": NaN, "lon": 0}}',
        422,
        "body",
        "location.lat",
    ),
    (
        "document text with NUL",
        "POST",
        "/kb/documents",
        {},
        [{"id": "new", "text": "a\u0000b"}],
        422,
        "record 0",
        "text",
    ),
    (
        "document metadata NaN",
        "POST",
        "/kb/documents",
        {},
        '[{"id": "new", "text": "t", "metadata": {"x": NaN}}]',
        422,
        "record 0",
        "metadata",
    ),
    ("path id with NUL", "GET", "/items/a%00b", {}, None, 422, "path", "item_id"),
    ("path id with NUL, delete", "DELETE", "/users/a%00b", {}, None, 422, "path", "user_id"),
    ("path id with a tab", "GET", "/kb/documents/a%09b", {}, None, 422, "path", "document_id"),
    ("query with NUL", "GET", "/kb/search", {"q": "a\u0000b"}, None, 422, "query", "q"),
    (
        "search user with NUL",
        "GET",
        "/search",
        {"q": "x", "user_id": "a\u0000"},
        None,
        422,
        "query",
        "user_id",
    ),
    (
        "group member with NUL",
        "POST",
        "/recommendations/group",
        {},
        {"user_ids": ["a\u0000"]},
        422,
        "body",
        "user_ids.0",
    ),
    ("question with NUL", "POST", "/ask", {}, {"question": "a\u0000b"}, 422, "body", "question"),
]


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "status", "record", "field"),
    [pytest.param(*case[1:], id=case[0]) for case in REJECTED],
)
def test_rejected_naming_record_and_field_and_nothing_written(
    api: httpx.Client,
    method: str,
    path: str,
    query: dict[str, Any],
    body: Any,
    status: int,
    record: str,
    field: str,
) -> None:
    before = _counts(api)
    if isinstance(body, str):  # NaN and Infinity are not JSON: sent as raw text
        response = api.request(method, path, params=query, content=body, headers=NAN_JSON)
    else:
        response = api.request(method, path, params=query, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert {"record": record, "field": field} in [
        {"record": d["record"], "field": d["field"]} for d in error["details"]
    ], error
    assert _counts(api) == before
    assert api.get("/items/new").status_code == 404
    assert api.get("/users/new").status_code == 404


def test_train_without_events_is_a_conflict(api: httpx.Client) -> None:
    response = api.post("/model/train", headers={"X-Tenant": "empty"})
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "conflict"
    assert "no item events" in response.json()["error"]["message"]
    assert api.get("/model/versions", headers={"X-Tenant": "empty"}).json() == []


def test_duplicate_items_in_a_batch_last_one_wins(api: httpx.Client) -> None:
    batch = [
        {"id": "twin", "title": "first", "tags": ["t", "t"], "categories": ["c"]},
        {"id": "twin", "title": "second", "tags": ["t"], "categories": ["c", "c"]},
    ]
    report = api.post("/items/batch", json=batch, headers={"X-Tenant": "dups"}).json()
    assert report == {"received": 2, "written": 1, "duplicates": 1, "invalid": []}
    stored = api.get("/items/twin", headers={"X-Tenant": "dups"}).json()
    assert (stored["title"], stored["tags"], stored["categories"]) == ("second", ["t"], ["c", "c"])
    tagged = api.get("/items", params={"tags": "t"}, headers={"X-Tenant": "dups"}).json()
    assert tagged["total"] == 1


def test_duplicate_users_in_a_batch_are_written_once(api: httpx.Client) -> None:
    batch = [{"id": "bo", "timezone": "Europe/Lisbon"}, {"id": "bo", "timezone": "Asia/Tokyo"}]
    report = api.post("/users/batch", json=batch, headers={"X-Tenant": "dups"}).json()
    assert report == {"received": 2, "written": 1, "duplicates": 1, "invalid": []}
    assert api.get("/users/bo", headers={"X-Tenant": "dups"}).json()["timezone"] == "Asia/Tokyo"


def test_duplicate_events_in_a_batch_first_one_wins_like_a_resend(api: httpx.Client) -> None:
    headers = {"X-Tenant": "dups-events"}
    first = {"id": "e1", "user_id": "cy", "item_id": "i", "type": "rate", "value": 1}
    second = {**first, "value": 5}
    report = api.post("/events", json=[first, second], headers=headers).json()
    assert report == {"received": 2, "written": 1, "duplicates": 1, "invalid": []}
    resent = api.post("/events", json=[second], headers=headers).json()
    assert (resent["written"], resent["duplicates"]) == (0, 1)
    stored = api.get("/users/cy/events", headers=headers).json()
    assert [(e["id"], e["value"]) for e in stored] == [("e1", 1.0)]


def test_an_unexpected_error_answers_the_json_error_schema_and_is_logged(
    sqlite_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("info")  # as `rapport serve` does; stderr is not a terminal here
    app = create_app(sqlite_engine)

    @app.get("/explode")
    def explode() -> None:
        raise RuntimeError("boom [a_b]")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/explode")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "error": {"code": "internal_error", "message": "internal server error", "details": []}
    }
    [line] = [json.loads(x) for x in capsys.readouterr().err.splitlines() if "/explode" in x]
    assert (line["event"], line["level"], line["path"]) == ("unexpected error", "error", "/explode")
    assert "RuntimeError: boom [a_b]" in line["exception"]


# -- files and the CLI --------------------------------------------------------------------


def _csv(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


# (name, kind, file name, content, texts the error output must contain)
FILES: list[tuple[str, str, str, bytes, list[str]]] = [
    (
        "CSV price inf",
        "items",
        "items.csv",
        b"id,price\ncheap,3\nfree,inf\n",
        ["items.csv:line 3", "'price'", "finite"],
    ),
    ("CSV price nan", "items", "items.csv", b"id,price\nx,nan\n", ["items.csv:line 2", "'price'"]),
    (
        "CSV 10 MB cell",
        "items",
        "items.csv",
        b"id,text\nok,fine\nbig," + b"x" * 10_000_000 + b"\n",
        ["items.csv:line 3", "field larger than field limit"],
    ),
    (
        "CSV not UTF-8",
        "items",
        "items.csv",
        b"id,title\nok,fine\nbad,caf\xe9\n",
        ["items.csv:line 3", "'title'", "not valid UTF-8 (byte 0xe9)"],
    ),
    (
        "CSV header not UTF-8",
        "items",
        "items.csv",
        b"id,t\xffitle\nok,fine\n",
        ["items.csv:line 2", "header is not valid UTF-8"],
    ),
    (
        "JSONL not UTF-8",
        "items",
        "items.jsonl",
        b'{"id": "ok"}\n{"id": "caf\xe9"}\n',
        ["items.jsonl:line 2", "invalid JSON"],
    ),
    (
        "JSONL id with NUL",
        "items",
        "items.jsonl",
        b'{"id": "a\\u0000b"}\n',
        ["items.jsonl:line 1", "'id'", "control characters"],
    ),
    (
        "CSV event 1e20",
        "events",
        "events.csv",
        b"user_id,item_id,type,timestamp\nu,i,view,1e20\n",
        ["events.csv:line 2", "'timestamp'", "1970-01-01"],
    ),
    (
        "CSV event year 1",
        "events",
        "events.csv",
        b"user_id,item_id,type,timestamp\nu,i,view,0001-01-01T00:00:00+01:00\n",
        ["events.csv:line 2", "'timestamp'"],
    ),
    (
        "CSV event bad type, pattern kept",
        "events",
        "events.csv",
        b"user_id,item_id,type\nu,i,Bad Type\n",
        ["events.csv:line 2", "'type'", "'^[a-z_]+$'"],
    ),
    (
        "CSV time zone [a_b]",
        "users",
        "users.csv",
        b"id,timezone\nu,[a_b]\n",
        ["users.csv:line 2", "'timezone'", "unknown time zone '[a_b]'"],
    ),
    (
        "JSONL profile NaN",
        "users",
        "users.jsonl",
        b'{"id": "u", "profile": {"hours_per_week": NaN}}\n',
        ["users.jsonl:line 1", "invalid JSON"],
    ),
]


@pytest.mark.parametrize(
    ("kind", "name", "content", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in FILES],
)
def test_import_exits_2_naming_line_and_field_and_writes_nothing(
    cli: Cli, tmp_path: Path, kind: str, name: str, content: bytes, expected: list[str]
) -> None:
    path = _csv(tmp_path, name, content)
    ran = cli(kind, "import", str(path))
    assert ran.returncode == 2, ran.stderr
    message = " ".join(ran.stderr.split())  # rich wraps long lines
    for text in expected:
        assert text in message, message
    assert "Traceback" not in ran.stderr
    counts = cli("stats", "--json").json()
    assert (counts["items"], counts["users"], counts["events"]) == (0, 0, 0)


def test_csv_duplicate_event_ids_keep_the_first_and_report_it(cli: Cli, tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "events.csv",
        b"id,user_id,item_id,type,value\nx1,u,i,rate,1\nx1,u,i,rate,5\nx2,u,i,view,\n",
    )
    report = cli("events", "import", str(path), "--json").json()
    assert report == {"received": 3, "written": 2, "duplicates": 1, "invalid": []}
    stored = cli("events", "list", "--user", "u", "--json").json()
    assert sorted((e["id"], e["value"]) for e in stored) == [("x1", 1.0), ("x2", None)]


def test_csv_duplicate_users_are_written_once(cli: Cli, tmp_path: Path) -> None:
    path = _csv(tmp_path, "users.csv", b"id,timezone\nu,UTC\nu,Europe/Lisbon\n")
    report = cli("users", "import", str(path), "--json").json()
    assert report == {"received": 2, "written": 1, "duplicates": 1, "invalid": []}
    assert cli("stats", "--json").json()["users"] == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["items", "list", "--at", "1e20"], "--at", id="at 1e20"),
        pytest.param(["items", "list", "--min-price", "inf"], "--min-price", id="min price inf"),
        pytest.param(["items", "list", "--kind", "a\x01b"], "--kind", id="kind with control"),
        pytest.param(["users", "list", "--offset", str(BIG)], "--offset", id="offset 2^63"),
        pytest.param(["recommend", "u", "--lat", "nan", "--lon", "0"], "--lat", id="lat nan"),
    ],
)
def test_bad_options_exit_2_naming_the_option(cli: Cli, args: list[str], expected: str) -> None:
    ran = cli(*args)
    assert ran.returncode == 2, (ran.returncode, ran.stderr)
    assert expected in ran.stderr
    assert "Traceback" not in ran.stderr


def test_error_messages_keep_square_brackets(cli: Cli, tmp_path: Path) -> None:
    """Rich markup is never applied to messages: `[a_b]` and `[red]` are printed as is."""
    path = _csv(tmp_path, "items.jsonl", b'{"id": "[a_b]", "price": -1}\n{"id": "[red]x"}\n')
    ran = cli("items", "import", str(path))
    assert ran.returncode == 2
    assert "items.jsonl:line 1: field 'price'" in ran.stderr
    skipped = cli("items", "import", str(path), "--skip-invalid")
    assert skipped.returncode == 0
    assert "skipped: items.jsonl:line 1: field 'price'" in skipped.stderr
    assert "[yellow]" not in skipped.stderr
    missing = cli("items", "get", "[a_b]")
    assert missing.returncode == 1 and "item '[a_b]' not found" in missing.stderr
