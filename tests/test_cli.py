"""The `rapport` command, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RAPPORT = [sys.executable, "-m", "rapport.interfaces.cli.main"]


def rapport(data: Path, *args: str, db: str | None = None) -> subprocess.CompletedProcess[str]:
    options = ["--data", str(data)] + (["--db", db] if db else [])
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    return subprocess.run(
        [*RAPPORT, *options, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_import_stats_similar(tmp_path: Path, database_url: str) -> None:
    items = tmp_path / "items.jsonl"
    items.write_text(
        "\n".join(
            json.dumps(row)
            for row in [
                {"id": "py", "kind": "course", "title": "Python programming"},
                {"id": "pandas", "kind": "course", "title": "Data analysis in Python with pandas"},
                {"id": "fado", "kind": "event", "title": "Fado night in Alfama"},
            ]
        )
        + "\n"
    )
    events = tmp_path / "events.csv"
    events.write_text(
        "id,user_id,item_id,type,timestamp\n1,ana,py,click,1700000000\n"
        "2,ana,fado,like,2026-01-01T20:00:00Z\n"
    )
    imported = rapport(tmp_path, "import", "items", str(items), "--json", db=database_url)
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["written"] == 3
    assert rapport(tmp_path, "import", "events", str(events), db=database_url).returncode == 0
    again = rapport(tmp_path, "import", "events", str(events), "--json", db=database_url)
    assert json.loads(again.stdout) == {"received": 2, "written": 0, "duplicates": 2, "invalid": []}
    stats = json.loads(rapport(tmp_path, "stats", "--json", db=database_url).stdout)
    assert stats == {
        "default": {"users": 1, "items": 3, "items_by_kind": {"course": 2, "event": 1}, "events": 2}
    }
    similar = rapport(tmp_path, "similar", "py", "--k", "2", "--json", db=database_url)
    assert [hit["item_id"] for hit in json.loads(similar.stdout)] == ["pandas", "fado"]


def test_bad_file_exits_nonzero_naming_line_and_field(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text('{"user_id": "a", "type": "click"}\n{"user_id": "b", "typ": "click"}\n')
    result = rapport(tmp_path, "import", "events", str(events))
    assert result.returncode == 2
    assert "events.jsonl:line 2: field 'type'" in result.stderr
    assert "nothing was written" in result.stderr
    assert json.loads(rapport(tmp_path, "stats", "--json").stdout) == {}
    skipped = rapport(tmp_path, "import", "events", str(events), "--skip-invalid", "--json")
    assert skipped.returncode == 0 and json.loads(skipped.stdout)["written"] == 1


def test_errors_are_messages_not_tracebacks(tmp_path: Path) -> None:
    missing = rapport(tmp_path, "similar", "nope")
    assert missing.returncode == 1 and "item 'nope' not found" in missing.stderr
    assert "Traceback" not in missing.stderr
    wrong_kind = rapport(tmp_path, "import", "things", "x.jsonl")
    assert wrong_kind.returncode == 2 and "unknown kind 'things'" in wrong_kind.stderr
    bad_tenant = rapport(tmp_path, "--tenant", "bad tenant!", "stats")
    assert bad_tenant.returncode != 0 and "tenant" in bad_tenant.stderr


def test_serve_refuses_open_non_loopback(tmp_path: Path) -> None:
    result = rapport(tmp_path, "serve", "--host", "0.0.0.0")
    assert result.returncode == 2 and "RAPPORT_API_KEY" in result.stderr


def test_demo_loads_idempotently(tmp_path: Path) -> None:
    first = rapport(tmp_path, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    counts = json.loads(rapport(tmp_path, "stats", "--json").stdout)["default"]
    assert counts["items"] >= 100 and counts["users"] >= 10 and counts["events"] >= 100
    assert {"course", "mentor", "event", "offer"} <= set(counts["items_by_kind"])
    rapport(tmp_path, "demo", "--no-serve")
    assert json.loads(rapport(tmp_path, "stats", "--json").stdout)["default"] == counts


def test_eval_retrieval_on_a_beir_folder(tmp_path: Path) -> None:
    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    corpus = [
        ("d1", "Volcanoes", "Lava erupts from volcanoes when magma reaches the surface."),
        ("d2", "Baking", "Sourdough bread needs a starter and a long proof."),
        ("d3", "Tides", "The moon's gravity pulls the oceans and makes the tides."),
    ]
    (beir / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, t, x in corpus)
    )
    (beir / "queries.jsonl").write_text(
        '{"_id": "q1", "text": "why do volcanoes erupt"}\n'
        '{"_id": "q2", "text": "what causes ocean tides"}\n'
        '{"_id": "q3", "text": "an unjudged query"}\n'
    )
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq2\td3\t1\n")
    result = rapport(tmp_path, "eval", "retrieval", str(beir), "--json")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["queries"] == 2 and metrics["ndcg_at_10"] == pytest.approx(1.0)
    assert metrics["mrr_at_10"] == pytest.approx(1.0)
    assert (tmp_path / "cache").is_dir()  # corpus vectors cached in the data directory
    missing = rapport(tmp_path, "eval", "retrieval", str(tmp_path / "nope"))
    assert missing.returncode != 0 and "nope" in missing.stderr
