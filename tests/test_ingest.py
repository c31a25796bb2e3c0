"""File imports: JSONL and CSV, validation naming line and field, idempotency."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rapport.core.errors import InvalidInput
from rapport.engine import Engine


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def events(n: int) -> list[dict]:
    return [
        {
            "id": f"e{i}",
            "user_id": f"u{i % 7}",
            "item_id": f"i{i % 13}",
            "type": "rate" if i % 2 else "click",
            "value": 4.0 if i % 2 else None,
            "timestamp": 1_700_000_000 + i,
        }
        for i in range(n)
    ]


def test_jsonl_events_import_twice_same_counts(engine: Engine, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "events.jsonl", events(1200))
    first = engine.events.import_file(path)
    assert (first.received, first.written, first.duplicates) == (1200, 1200, 0)
    second = engine.events.import_file(path)
    assert (second.written, second.duplicates) == (0, 1200)
    assert engine.stats().model_dump() == {
        "tenant": "default",
        "users": 7,
        "items": 0,
        "items_by_kind": {},
        "events": 1200,
        "unindexed_items": 0,
        "unindexed_chunks": 0,
    }


def test_malformed_line_names_line_and_field_and_writes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    rows = events(50)
    rows[36]["timestamp"] = "yesterday-ish"
    path = write_jsonl(tmp_path / "events.jsonl", rows)
    with pytest.raises(InvalidInput) as caught:
        engine.events.import_file(path)
    [error] = caught.value.errors
    assert (error.record, error.field) == ("events.jsonl:line 37", "timestamp")
    assert "line 37" in str(caught.value)
    assert engine.tenants() == []  # not even the tenant row was written


def test_broken_json_line_is_reported(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text('{"id": "a", "title": "ok"}\n{"id": "b", "title": \n')
    with pytest.raises(InvalidInput) as caught:
        engine.items.import_file(path, index=False)
    assert caught.value.errors[0].record == "items.jsonl:line 2"
    assert engine.items.list().total == 0


def test_skip_invalid_writes_good_rows(engine: Engine, tmp_path: Path) -> None:
    rows = events(10)
    rows[3]["user_id"] = ""
    rows[5]["type"] = "Not A Type"
    report = engine.events.import_file(write_jsonl(tmp_path / "e.jsonl", rows), skip_invalid=True)
    assert report.written == 8
    assert [(e.record, e.field) for e in report.invalid] == [
        ("e.jsonl:line 4", "user_id"),
        ("e.jsonl:line 6", "type"),
    ]


def test_csv_items_with_lists_places_and_attributes(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text(
        "id,kind,title,tags,categories,lat,lon,price,starts_at,attributes.difficulty\n"
        "c1,course,Intro to SQL,sql|data,learning,,,0,,beginner\n"
        'e1,event,Fado night,"music,fado",concert,38.71,-9.13,15.5,2026-06-01T21:00:00Z,\n'
    )
    report = engine.items.import_file(path)
    assert report.written == 2
    course, event = engine.items.get("c1"), engine.items.get("e1")
    assert course.tags == ["sql", "data"] and course.attributes == {"difficulty": "beginner"}
    assert course.location is None and course.price == 0
    assert event.tags == ["music", "fado"] and event.location is not None
    assert event.location.lat == 38.71 and event.price == 15.5
    assert event.starts_at is not None and event.starts_at.hour == 21


def test_csv_bad_value_names_line_and_column(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("id,timezone,profile.hours_per_week\nana,UTC,5\nbo,UTC,lots\n")
    with pytest.raises(InvalidInput) as caught:
        engine.users.import_file(path)
    assert [(e.record, e.field) for e in caught.value.errors] == [
        ("users.csv:line 3", "profile.hours_per_week")
    ]
    assert engine.users.list().total == 0


def test_csv_events_epoch_timestamps(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text(
        "user_id,item_id,type,value,timestamp\n1,31,rate,2.5,1260759144\n"
        "1,1029,rate,3.0,1260759179\n"
    )
    assert engine.events.import_file(path).written == 2
    again = engine.events.import_file(path)  # no ids: deterministic ids dedupe
    assert (again.written, again.duplicates) == (0, 2)
    [first, _] = engine.events.list(newest_first=False)
    assert first.timestamp.year == 2009 and first.value == 2.5


def test_files_are_written_in_short_batches_after_a_full_check(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rapport.services.ingest.FILE_BATCH", 100)
    rows = events(1_050)
    path = write_jsonl(tmp_path / "events.jsonl", rows + rows[:30])  # 30 repeated ids
    store = engine._services.store
    commits = store.writes
    report = engine.events.import_file(path)
    assert (report.received, report.written, report.duplicates) == (1_080, 1_050, 30)
    assert store.writes - commits >= 11  # one transaction per batch of 100, not one in all
    # A bad record at the very end: found by the first pass, so nothing at all is written.
    bad = write_jsonl(tmp_path / "late.jsonl", [*events(1_300)[1_050:], {"user_id": "x"}])
    with pytest.raises(InvalidInput) as caught:
        engine.events.import_file(bad)
    assert (caught.value.errors[0].record, caught.value.errors[0].field) == (
        "late.jsonl:line 251",
        "type",
    )
    assert engine.stats().events == 1_050


def test_items_repeated_across_batches_keep_the_last(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rapport.services.ingest.FILE_BATCH", 2)
    rows = [{"id": f"c{i}", "kind": "course", "title": f"Course {i}"} for i in range(4)]
    rows.append({"id": "c0", "kind": "course", "title": "Course 0, second edition"})
    report = engine.items.import_file(write_jsonl(tmp_path / "items.jsonl", rows))
    assert (report.received, report.duplicates) == (5, 1)
    assert engine.items.get("c0").title == "Course 0, second edition"


def test_a_large_file_is_imported_with_flat_memory(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python memory at the peak of a 20,000-event import stays near one batch's worth.
    Holding every record of the file, as the import once did, takes many times the file's
    size; batches of 1,000 stay under 4x."""
    import tracemalloc

    monkeypatch.setattr("rapport.services.ingest.FILE_BATCH", 1_000)
    path = write_jsonl(tmp_path / "events.jsonl", events(20_000))
    sqlite_engine.events.add(events(1))  # connections, statements and caches warmed first
    tracemalloc.start()
    try:
        report = sqlite_engine.events.import_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.written == 19_999
    assert peak < 4 * path.stat().st_size, peak
