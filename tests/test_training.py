"""Training, model artifacts, automatic retraining and offline evaluation on small data."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from rapport.engine import Engine
from rapport.interfaces.jobs.scheduler import RetrainJob
from rapport.services.recommend.evaluation import evaluate, relevant_sets
from rapport.services.recommend.peers import run_rapport, tune_peer
from tests.test_cli import rapport

START = datetime(2026, 1, 1, tzinfo=UTC)
CLUSTERS = {"a": 30, "b": 30, "c": 30}


def synthetic_events(users: int = 60, seed: int = 3) -> list[dict]:
    """Each user follows one cluster, walking its items mostly in order (a sequence the
    model can learn), with some noise from other clusters."""
    rng = random.Random(seed)
    events = []
    for u in range(users):
        cluster = "abc"[u % 3]
        position = rng.randrange(CLUSTERS[cluster])
        for step in range(14):
            if rng.random() < 0.85:
                item = f"{cluster}{position % CLUSTERS[cluster]}"
                position += 1
            else:
                other = rng.choice([c for c in "abc" if c != cluster])
                item = f"{other}{rng.randrange(CLUSTERS[other])}"
            events.append(
                {
                    "id": f"u{u}-{step}",
                    "user_id": f"u{u}",
                    "item_id": item,
                    "type": "rate",
                    "value": rng.choice([4, 4.5, 5, 3]),
                    "timestamp": (START + timedelta(days=step, hours=u)).isoformat(),
                }
            )
    return events


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


@pytest.fixture
def trained(engine: Engine) -> tuple[Engine, dict]:
    engine.add_items(items(), index=False)
    engine.add_events(synthetic_events())
    return engine, engine.train()


def test_train_chooses_settings_and_saves_a_version(trained: tuple[Engine, dict]) -> None:
    engine, manifest = trained
    assert manifest["training"]["events"] == 60 * 14
    assert manifest["training"]["users"] == 60 and manifest["training"]["items"] == 90
    validation = manifest["validation"]
    assert validation["configurations_tried"] >= 10
    assert validation["ndcg@10"] >= validation["baseline_ndcg@10"] > 0
    assert manifest["core"] == "ease" and manifest["weights"]["core"] == 1.0
    assert engine.model_info() == manifest
    assert engine.model_versions() == [manifest["version"]]


def test_trained_model_drives_recommendations(trained: tuple[Engine, dict]) -> None:
    engine, _ = trained
    found = engine.recommend("u0", k=5, diversity=0)  # a cluster "a" user
    assert [r.item.categories[0] for r in found].count("a") >= 4
    assert "collaborative" in found[0].sources
    seen = {e.item_id for e in engine.list_events(user_id="u0", limit=None)}
    assert not seen & {r.item.id for r in found}


def test_next_step_follows_the_learned_sequence(trained: tuple[Engine, dict]) -> None:
    engine, _ = trained
    engine.add_users([{"id": "fresh"}])
    engine.add_events(
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
    top = engine.recommend("fresh", k=3, diversity=0)
    assert top[0].item.id in {"b6", "b7"}


def test_retrain_job_runs_only_when_enough_new_feedback(trained: tuple[Engine, dict]) -> None:
    engine, manifest = trained
    job = RetrainJob(engine, min_new_events=50, min_growth=0.05)
    assert job.run_once() == []
    more = [
        {**e, "id": "late-" + e["id"], "timestamp": (START + timedelta(days=60)).isoformat()}
        for e in synthetic_events(users=6, seed=9)
    ]
    engine.add_events(more)
    assert job.run_once() == ["default"]
    assert engine.model_info()["version"] != manifest["version"]
    assert engine.model_info()["training"]["events"] == 60 * 14 + 6 * 14


def test_rapport_beats_popularity_under_the_protocol(engine: Engine) -> None:
    engine.add_events(synthetic_events(users=90))
    data = engine.interactions()
    train_part, test = data.split_by_time()
    ours = run_rapport(train_part, test)
    popularity = tune_peer("popularity", train_part, test)
    assert ours.metrics.users == popularity.metrics.users > 0
    assert ours.metrics.ndcg_at_10 > popularity.metrics.ndcg_at_10 + 0.1
    assert 0 < ours.metrics.coverage <= 1 and ours.metrics.novelty > 0


def test_evaluation_metrics_on_a_known_ranking(engine: Engine) -> None:
    # Nine users each rate ten distinct items; the last two of each are held out.
    engine.add_events(
        [
            {
                "user_id": f"u{u}",
                "item_id": f"i{(u * 3 + n) % 40}",
                "type": "rate",
                "value": 5 if n % 3 else 2,
                "timestamp": (START + timedelta(days=n)).isoformat(),
            }
            for u in range(9)
            for n in range(10)
        ]
    )
    data = engine.interactions()
    train_part, test = data.split_by_time()
    assert len(test) == 18
    relevant = relevant_sets(test)

    def oracle(_histories, users: np.ndarray) -> np.ndarray:
        scores = np.zeros((len(users), len(data.item_ids)))
        for row, user in enumerate(users):
            scores[row, list(relevant[int(user)])] = 1.0
        return scores

    def worst(_histories, users: np.ndarray) -> np.ndarray:
        return -oracle(_histories, users)

    perfect = evaluate(oracle, train_part, test)
    assert perfect.ndcg_at_10 == pytest.approx(1.0)
    assert perfect.recall_at_20 == pytest.approx(1.0)
    assert perfect.users == len(relevant) == 9
    assert all(len(found) == 1 for found in relevant.values())  # the 2-star one is not
    assert evaluate(worst, train_part, test).ndcg_at_10 == pytest.approx(0.0)


def test_cli_train_model_show_eval_and_batch(tmp_path, database_url: str) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in synthetic_events()))
    catalogue = tmp_path / "items.jsonl"
    catalogue.write_text("".join(json.dumps(i) + "\n" for i in items()))
    assert (
        rapport(
            tmp_path, "import", "items", str(catalogue), "--no-index", db=database_url
        ).returncode
        == 0
    )
    assert rapport(tmp_path, "import", "events", str(events), db=database_url).returncode == 0
    shown = rapport(tmp_path, "model", "show", db=database_url)
    assert shown.returncode == 1 and "rapport train" in shown.stderr
    trained = rapport(tmp_path, "train", "--json", db=database_url)
    assert trained.returncode == 0, trained.stderr
    manifest = json.loads(trained.stdout)
    shown = json.loads(rapport(tmp_path, "model", "show", "--json", db=database_url).stdout)
    assert shown["version"] == manifest["version"]
    users = tmp_path / "users.txt"
    users.write_text("u0\nu1\n\nu2\n")
    batch = rapport(
        tmp_path, "recommend", "--users-file", str(users), "--k", "3", "--jsonl", db=database_url
    )
    assert batch.returncode == 0, batch.stderr
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [line["user_id"] for line in lines] == ["u0", "u1", "u2"]
    assert all(len(line["items"]) == 3 for line in lines)
    first = lines[0]["items"][0]
    assert set(first) == {"item_id", "score", "reasons"} and isinstance(first["score"], float)
    evaluated = rapport(
        tmp_path, "eval", "recommend", "--peers", "popularity", "--json", db=database_url
    )
    assert evaluated.returncode == 0, evaluated.stderr
    rows = {row["model"]: row for row in json.loads(evaluated.stdout)}
    assert rows["rapport"]["ndcg@10"] > rows["popularity"]["ndcg@10"]
