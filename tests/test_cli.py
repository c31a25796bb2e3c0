"""The `rapport` command: in process for most behaviour, as a real subprocess for the smoke
tests that need the installed entry point or a second back end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli

RAPPORT = [sys.executable, "-m", "rapport.interfaces.cli.main"]
HEAVY = ("torch", "sentence_transformers", "transformers", "openai", "implicit", "onnxruntime")


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


ITEMS = [
    {"id": "py", "kind": "course", "title": "Python programming"},
    {"id": "pandas", "kind": "course", "title": "Data analysis in Python with pandas"},
    {"id": "fado", "kind": "event", "title": "Fado night in Alfama"},
]
EVENTS_CSV = (
    "id,user_id,item_id,type,timestamp\n1,ana,py,click,1700000000\n"
    "2,ana,fado,like,2026-01-01T20:00:00Z\n"
)


def write_inputs(folder: Path) -> tuple[Path, Path]:
    items = folder / "items.jsonl"
    items.write_text("".join(json.dumps(row) + "\n" for row in ITEMS))
    events = folder / "events.csv"
    events.write_text(EVENTS_CSV)
    return items, events


def test_import_stats_similar(cli: Cli, tmp_path: Path) -> None:
    items, events = write_inputs(tmp_path)
    assert cli("items", "import", str(items), "--json").json()["written"] == 3
    assert cli("events", "import", str(events)).returncode == 0
    again = cli("events", "import", str(events), "--json").json()
    assert again == {"received": 2, "written": 0, "duplicates": 2, "invalid": []}
    assert cli("stats", "--json").json() == {
        "tenant": "default",
        "users": 1,
        "items": 3,
        "items_by_kind": {"course": 2, "event": 1},
        "events": 2,
        "unindexed_items": 0,
        "unindexed_chunks": 0,
    }
    similar = cli("items", "similar", "py", "--k", "2", "--json").json()
    assert [hit["item_id"] for hit in similar] == ["pandas", "fado"]
    courses = cli("items", "similar", "py", "--kind", "course", "--json").json()
    assert [hit["item_id"] for hit in courses] == ["pandas"]
    listed = cli("items", "list", "--kind", "course", "--limit", "1", "--json").json()
    assert listed["total"] == 2 and [i["id"] for i in listed["items"]] == ["pandas"]
    history = cli("events", "list", "--user", "ana", "--json").json()
    assert [e["id"] for e in history] == ["2", "1"]
    removed = cli("users", "delete", "ana", "--json").json()
    assert {kind: n for kind, n in removed["deleted"].items() if n} == {"events": 2, "users": 1}


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_installed_command_on_postgres(tmp_path: Path, database_url: str) -> None:
    items, events = write_inputs(tmp_path)
    imported = rapport(tmp_path, "items", "import", str(items), "--json", db=database_url)
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["written"] == 3
    assert rapport(tmp_path, "events", "import", str(events), db=database_url).returncode == 0
    stats = json.loads(rapport(tmp_path, "stats", "--json", db=database_url).stdout)
    assert (stats["items"], stats["events"], stats["users"]) == (3, 2, 1)
    similar = rapport(tmp_path, "items", "similar", "py", "--k", "2", "--json", db=database_url)
    assert [hit["item_id"] for hit in json.loads(similar.stdout)] == ["pandas", "fado"]


def test_bad_file_exits_nonzero_naming_line_and_field(cli: Cli, tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text('{"user_id": "a", "type": "click"}\n{"user_id": "b", "typ": "click"}\n')
    result = cli("events", "import", str(events))
    assert result.returncode == 2
    assert "events.jsonl:line 2: field 'type'" in result.stderr
    assert "nothing was written" in result.stderr
    assert cli("stats", "--json").json()["events"] == 0
    skipped = cli("events", "import", str(events), "--skip-invalid", "--json")
    assert skipped.returncode == 0 and json.loads(skipped.stdout)["written"] == 1


def test_errors_are_messages_not_tracebacks(cli: Cli) -> None:
    missing = cli("items", "similar", "nope")
    assert missing.returncode == 1 and "item 'nope' not found" in missing.stderr
    no_file = cli("items", "import", "x.jsonl")
    assert no_file.returncode == 2 and "no such file: x.jsonl" in no_file.stderr
    bad_tenant = cli("--tenant", "bad tenant!", "stats")
    assert bad_tenant.returncode != 0 and "tenant" in bad_tenant.stderr
    half_place = cli("recommend", "ana", "--lat", "38.7")
    assert half_place.returncode == 2 and "lat and lon must be given together" in half_place.stderr
    no_model = cli("model", "show")
    assert no_model.returncode == 1 and "rapport model train" in no_model.stderr
    # Brackets in a message are text, never markup that would eat them.
    bracketed = cli("items", "similar", "[a_b]")
    assert "item '[a_b]' not found" in bracketed.stderr


def test_serve_refuses_open_non_loopback(cli: Cli) -> None:
    result = cli("serve", "--host", "0.0.0.0")
    assert result.returncode == 2 and "RAPPORT_API_KEY" in result.stderr


def test_demo_loads_idempotently(cli: Cli, tmp_path: Path) -> None:
    first = cli("demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    counts = cli("stats", "--json").json()
    assert counts["items"] >= 100 and counts["users"] >= 10 and counts["events"] >= 100
    assert {"course", "mentor", "event", "offer"} <= set(counts["items_by_kind"])
    assert cli("demo", "--no-serve").returncode == 0
    assert cli("stats", "--json").json() == counts
    recommended = cli("recommend", "demo-user-ana", "--k", "3", "--json").json()
    assert recommended["user_id"] == "demo-user-ana" and len(recommended["items"]) == 3
    assert "collaborative" in {s for item in recommended["items"] for s in item["sources"]}
    # The assistant side: a persona, replayed chats (once), and a process to try.
    assert cli("persona", "show", "--json").json()["name"] == "Marta"
    exported = cli("users", "export", "demo-user-ana").json()
    (chat,) = exported["conversations"]
    assert [m["role"] for m in chat["messages"]] == ["user", "assistant"] * 3
    process = str(tmp_path / "demo-process.json")
    message = "I finished the design review"
    ops = cli("process-ops", "--process", process, "--message", message, "--json").json()
    assert [(op["op"], op["step_id"]) for op in ops["operations"]] == [("complete_step", "s4")]


def test_eval_retrieval_on_a_beir_folder(cli: Cli, tmp_path: Path) -> None:
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
    metrics = cli("eval", "retrieval", str(beir), "--json").json()
    assert metrics["queries"] == 2 and metrics["ndcg_at_10"] == pytest.approx(1.0)
    assert metrics["mrr_at_10"] == pytest.approx(1.0)
    assert (Path(cli.options[1]) / "cache").is_dir()  # corpus vectors cached in the data dir
    missing = cli("eval", "retrieval", str(tmp_path / "nope"))
    assert missing.returncode != 0 and "nope" in missing.stderr


def test_commands_import_heavy_libraries_only_when_needed(tmp_path: Path) -> None:
    """Counting and help never load torch, transformers, openai or implicit: the CLI starts
    in well under a second. (Asserted on imported modules, not on timings.)"""
    probe = (
        "import sys; from rapport.interfaces.cli.main import app\n"
        f"app(['--data', {str(tmp_path)!r}, 'stats', '--json'], standalone_mode=False)\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["events"] == 0
    assert result.stderr.strip().splitlines()[-1] == "[]"
