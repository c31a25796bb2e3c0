"""Training through the engine: a version per training, the serving model, sequences,
retraining when feedback accumulates, and the CLI over it (trained once per module)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console

from rapport.engine import Engine
from rapport.engine.schemas import ModelManifest
from rapport.evaluation.peers import Comparison
from rapport.interfaces.cli.tables import comparison_table
from rapport.interfaces.jobs.scheduler import RetrainJob
from tests.conftest import Cli, CountingEmbedder
from tests.test_models import CLUSTERS, START, synthetic_events


def items() -> list[dict]:
    return [
        {
            "id": f"{c}{n}",
            "kind": "course",
            "title": f"Course {c.upper()} part {n}",
            "categories": [c],
        }
        for c, size in CLUSTERS.items()
        for n in range(size)
    ]


@pytest.fixture(scope="module")
def trained_folder(
    tmp_path_factory: pytest.TempPathFactory, minilm: object
) -> tuple[Path, ModelManifest]:
    """One data directory trained once; each test works on its own copy."""
    folder = tmp_path_factory.mktemp("trained")
    with Engine(data=folder, embedder=CountingEmbedder(minilm)) as engine:  # type: ignore[arg-type]
        engine.items.add(items(), index=False)
        engine.events.add(synthetic_events())
        return folder, engine.models.train()


@pytest.fixture
def trained(
    trained_folder: tuple[Path, ModelManifest], tmp_path: Path, embedder: CountingEmbedder
) -> Iterator[tuple[Engine, ModelManifest]]:
    copy = tmp_path / "data"
    shutil.copytree(trained_folder[0], copy)
    with Engine(data=copy, embedder=embedder) as engine:
        yield engine, trained_folder[1]


def test_train_chooses_settings_and_saves_a_version(
    trained: tuple[Engine, ModelManifest],
) -> None:
    engine, manifest = trained
    assert manifest.training.events == 60 * 14
    assert manifest.training.users == 60 and manifest.training.items == 90
    validation = manifest.validation
    assert validation.configurations_tried >= 10
    assert validation.ndcg_at_10 >= validation.baseline_ndcg_at_10 > 0
    assert manifest.model == "hybrid" and manifest.summary["core"] == "ease"
    assert manifest.summary["weights"]["core"] == 1.0
    assert engine.models.show() == manifest
    assert [(v.version, v.status) for v in engine.models.versions()] == [
        (manifest.version, "serving")
    ]
    assert manifest.gate is not None and manifest.gate.comparison == "first"


def test_trained_model_drives_recommendations(trained: tuple[Engine, ModelManifest]) -> None:
    engine, _ = trained
    found = engine.recommendations.for_user("u0", k=5, diversity=0).items  # a cluster "a" user
    assert [r.item.categories[0] for r in found].count("a") >= 4
    assert "collaborative" in found[0].sources
    seen = {e.item_id for e in engine.events.list(user_id="u0", limit=None)}
    assert not seen & {r.item_id for r in found}


def test_next_step_follows_the_learned_sequence(trained: tuple[Engine, ModelManifest]) -> None:
    engine, _ = trained
    engine.users.add([{"id": "fresh"}])
    engine.events.add(
        [
            {
                "user_id": "fresh",
                "item_id": f"b{n}",
                "type": "rate",
                "value": 5,
                "timestamp": (START + timedelta(days=40 + n)).isoformat(),
            }
            for n in range(6)
        ]
    )
    top = engine.recommendations.for_user("fresh", k=3, diversity=0).items
    assert top[0].item_id in {"b6", "b7"}


def test_retrain_job_runs_only_when_enough_new_feedback(
    trained: tuple[Engine, ModelManifest],
) -> None:
    engine, manifest = trained
    job = RetrainJob(engine, min_new_events=50, min_growth=0.05)
    assert job.run_once() == []
    more = [
        {**e, "id": "late-" + e["id"], "timestamp": (START + timedelta(days=60)).isoformat()}
        for e in synthetic_events(users=6, seed=9)
    ]
    engine.events.add(more)
    engine.events.add([{"user_id": "x", "type": "search"} for _ in range(60)], tenant="empty")
    assert job.run_once() == ["default"]  # "empty" is due but has nothing to learn from
    assert engine.models.show().version != manifest.version
    assert engine.models.show().training.events == 60 * 14 + 6 * 14
    assert [(v.version, v.status) for v in engine.models.versions()] == [
        (manifest.version, "retired"),
        (engine.models.show().version, "serving"),
    ]


def test_erasing_a_user_marks_the_model_until_the_job_retrains_it(
    trained: tuple[Engine, ModelManifest],
) -> None:
    engine, manifest = trained
    assert engine.models.show().erased_users_since == 0
    engine.users.delete("u3")
    assert engine.models.show().erased_users_since == 1
    # Far from enough new events, but the model learned from someone who asked to be erased.
    job = RetrainJob(engine, min_new_events=10**9, min_growth=10.0)
    assert job.run_once() == ["default"]
    retrained = engine.models.show()
    assert retrained.version != manifest.version and retrained.erased_users_since == 0
    assert retrained.training.events == 60 * 14 - 14  # u3's events are gone
    assert job.run_once() == []


def test_cli_model_show_list_eval_and_batch(trained: tuple[Engine, ModelManifest]) -> None:
    engine, manifest = trained
    cli = Cli(engine.settings.data)
    assert cli("model", "show", "--json").json() == manifest.model_dump(mode="json")
    listed = cli("model", "versions", "--json")
    assert listed.returncode == 0 and [v["status"] for v in listed.json()] == ["serving"]
    assert cli("model", "list", "--json").json() == listed.json()
    users = engine.settings.data / "users.txt"
    users.write_text("u0\nu1\n\nu2\n")
    batch = cli("recommend", "--users-file", str(users), "--k", "3", "--jsonl")
    assert batch.returncode == 0, batch.stderr
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [line["user_id"] for line in lines] == ["u0", "u1", "u2"]
    assert all(len(line["items"]) == 3 for line in lines)
    first = lines[0]["items"][0]
    assert {"item_id", "score", "reasons"} <= set(first) and isinstance(first["score"], float)
    evaluated = cli("eval", "recommend", "--peers", "popularity", "--json").json()
    rows = {row["model"]: row for row in evaluated["runs"]}
    assert evaluated["ratios"]["popularity"] < evaluated["ratios"]["rapport"]
    assert rows["rapport"]["metrics"]["ndcg_at_10"] > rows["popularity"]["metrics"]["ndcg_at_10"]
    assert rows["rapport"]["params"]["half_life"] in ("Infinity", 10.0, 20.0, 40.0)
    low, high = evaluated["intervals"]["rapport"]
    assert low <= evaluated["ratios"]["rapport"] <= high
    shown = Console(width=250, record=True)
    shown.print(comparison_table(Comparison.model_validate(evaluated)))
    rapport_row = next(line for line in shown.export_text().splitlines() if "rapport" in line)
    assert f"{low:.3f}-{high:.3f}" in rapport_row
    assert " / ".join(f"{f:.4f}" for f in rows["rapport"]["fold_ndcg"]) in rapport_row
    unknown = cli("eval", "recommend", "--peers", "nope")
    assert unknown.returncode == 1 and "unknown peer" in unknown.stderr


def test_cli_trains_a_new_version(trained: tuple[Engine, ModelManifest]) -> None:
    engine, manifest = trained
    cli = Cli(engine.settings.data)
    fresh = cli("model", "train", "--json").json()
    assert fresh["version"] != manifest.version
    assert cli("model", "show", manifest.version, "--json").json()["version"] == manifest.version
