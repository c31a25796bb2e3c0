"""The model gate: a worse new version is kept as a candidate with the reason recorded, an
equal one serves, `force` overrides, and `model use` rolls back or forward at once, also in
a live server and from another process's engine (trained once per module, tiny data)."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from structlog.testing import LogCapture

from rapport.core.errors import NotFound
from rapport.engine import Engine
from rapport.engine.schemas import ModelManifest, TrainingConfig
from tests.conftest import Cli, CountingEmbedder, LiveServer
from tests.test_models import synthetic_events
from tests.test_training import items

GOOD = TrainingConfig(model="ease")
WORSE = TrainingConfig(model="popularity")  # ignores who the user is: clearly worse here


@pytest.fixture(scope="module")
def gated_folder(
    tmp_path_factory: pytest.TempPathFactory, minilm: object
) -> tuple[Path, ModelManifest, ModelManifest]:
    """A data directory with a serving EASE model and a popularity candidate the gate kept
    back; each test works on its own copy."""
    folder = tmp_path_factory.mktemp("gated")
    with Engine(data=folder, embedder=CountingEmbedder(minilm)) as engine:  # type: ignore[arg-type]
        engine.items.add(items(), index=False)
        engine.events.add(synthetic_events())
        first = engine.models.train(config=GOOD)
        worse = engine.models.train(config=WORSE)
        return folder, first, worse


@pytest.fixture
def gated(
    gated_folder: tuple[Path, ModelManifest, ModelManifest],
    tmp_path: Path,
    embedder: CountingEmbedder,
) -> Iterator[tuple[Engine, ModelManifest, ModelManifest]]:
    copy = tmp_path / "data"
    shutil.copytree(gated_folder[0], copy)
    with Engine(data=copy, embedder=embedder) as engine:
        yield engine, gated_folder[1], gated_folder[2]


@contextmanager
def captured_logs() -> Iterator[list[dict[str, Any]]]:
    """Log entries at info and above, whatever level an earlier CLI run configured."""
    before = structlog.get_config()
    capture = LogCapture()
    structlog.configure(
        processors=[capture], wrapper_class=structlog.make_filtering_bound_logger(logging.INFO)
    )
    try:
        yield capture.entries
    finally:
        structlog.configure(**before)


def statuses(engine: Engine) -> list[tuple[str, str]]:
    return [(v.version, v.status) for v in engine.models.versions()]


def test_a_worse_model_is_kept_as_candidate_with_the_reason(
    gated: tuple[Engine, ModelManifest, ModelManifest],
) -> None:
    engine, first, worse = gated
    assert first.gate is not None and first.gate.decision == "serve"
    assert first.gate.comparison == "first"
    gate = worse.gate
    assert gate is not None and gate.decision == "candidate"
    assert gate.comparison == "same_split" and gate.serving_version == first.version
    assert gate.margin == 0.02
    assert gate.candidate_ndcg_at_10 is not None and gate.serving_ndcg_at_10 is not None
    assert gate.candidate_ndcg_at_10 < gate.serving_ndcg_at_10 * (1 - gate.margin)
    # Same data, so the serving settings refitted on the new split score what they scored
    # when they were chosen: the two numbers come from one judge.
    assert gate.serving_ndcg_at_10 == pytest.approx(first.validation.ndcg_at_10, abs=1e-3)
    assert gate.candidate_ndcg_at_10 == pytest.approx(worse.validation.ndcg_at_10, abs=1e-3)

    assert engine.models.show().version == first.version
    assert engine.models.show(worse.version).gate == gate  # saved, not serving
    assert statuses(engine) == [(first.version, "serving"), (worse.version, "candidate")]
    listed = engine.models.versions()
    assert listed[1].decision == "candidate" and listed[1].reason == gate.reason
    decisions = engine.models.decisions().items
    assert [(d.version, d.decision) for d in decisions] == [
        (worse.version, "candidate"),
        (first.version, "serve"),
    ]
    assert "worse than the serving version" in decisions[0].reason
    assert "new validation split" in decisions[0].reason
    assert decisions[0].metrics["serving_ndcg_at_10"] == gate.serving_ndcg_at_10
    assert decisions[0].metrics["forced"] is False
    assert engine.models.decisions(first.version).total == 1
    served = engine.recommendations.for_user("u0", k=3)
    assert served.model_version == first.version


def test_an_equal_model_serves_and_force_overrides_the_gate(
    gated: tuple[Engine, ModelManifest, ModelManifest],
) -> None:
    engine, first, worse = gated
    with captured_logs() as logs:
        again = engine.models.train(config=GOOD)
    assert again.gate is not None and again.gate.decision == "serve"
    assert again.gate.comparison == "same_split"
    gate_logs = [entry for entry in logs if entry["event"] == "model gate"]
    assert [(e["version"], e["decision"]) for e in gate_logs] == [(again.version, "serve")]
    assert engine.models.show().version == again.version

    forced = engine.models.train(config=WORSE, force=True)
    assert forced.gate is not None and forced.gate.decision == "serve"
    assert forced.gate.comparison == "forced"
    assert forced.gate.reason.startswith("forced past the gate")
    assert engine.models.show().version == forced.version
    assert engine.models.decisions(forced.version).items[0].metrics["forced"] is True
    assert statuses(engine) == [
        (first.version, "retired"),
        (worse.version, "candidate"),
        (again.version, "retired"),
        (forced.version, "serving"),
    ]


def test_use_rolls_back_and_forward_and_a_candidate_can_serve(
    gated: tuple[Engine, ModelManifest, ModelManifest],
) -> None:
    engine, first, worse = gated
    forward = engine.models.use(worse.version, reason="canary looked fine")
    assert (forward.decision, forward.reason) == ("forward", "canary looked fine")
    assert forward.metrics["previous_version"] == first.version
    assert engine.recommendations.for_user("u0", k=3).model_version == worse.version
    back = engine.models.use(first.version)
    assert back.decision == "rollback" and worse.version in back.reason
    assert engine.models.show().version == first.version
    assert statuses(engine) == [(first.version, "serving"), (worse.version, "retired")]
    with pytest.raises(NotFound):
        engine.models.use("20990101T000000000000Z")
    with pytest.raises(NotFound):
        engine.models.use("../../etc")
    assert engine.models.show().version == first.version  # nothing changed
    assert len(engine.models.decisions().items) == 4


def test_a_named_version_serves_one_request_beside_the_current_one(
    gated: tuple[Engine, ModelManifest, ModelManifest],
) -> None:
    engine, first, worse = gated
    canary = engine.recommendations.for_user("u0", k=5, diversity=0, model_version=worse.version)
    current = engine.recommendations.for_user("u0", k=5, diversity=0)
    assert canary.model_version == worse.version and current.model_version == first.version
    # Popularity and EASE disagree about this user's list.
    assert [r.item_id for r in canary.items] != [r.item_id for r in current.items]
    group = engine.recommendations.for_group(["u0", "u1"], k=3, model_version=worse.version)
    assert group.model_version == worse.version
    assert engine.models.show().version == first.version  # serving untouched
    with pytest.raises(NotFound):
        engine.recommendations.for_user("u0", model_version="19990101T000000000000Z")


def test_rest_and_cli_switch_the_live_server(
    gated: tuple[Engine, ModelManifest, ModelManifest],
) -> None:
    engine, first, worse = gated
    cli = Cli(engine.settings.data)
    with LiveServer(engine) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        listed = http.get("/model/versions").json()
        assert [(v["version"], v["status"]) for v in listed] == [
            (first.version, "serving"),
            (worse.version, "candidate"),
        ]
        assert http.get("/users/u0/recommendations").json()["model_version"] == first.version
        switched = http.post("/model/use", json={"version": worse.version})
        assert switched.status_code == 200, switched.text
        assert switched.json()["decision"] == "forward"
        assert http.get("/users/u0/recommendations").json()["model_version"] == worse.version
        # Another process's engine (the CLI) rolls back: the server serves it next request.
        back = cli("model", "use", first.version, "--json").json()
        assert back["decision"] == "rollback"
        assert http.get("/users/u0/recommendations").json()["model_version"] == first.version
        missing = http.post("/model/use", json={"version": "20990101T000000000000Z"})
        assert missing.status_code == 404
        assert http.post("/model/use", json={}).status_code == 422
        decisions = http.get("/model/decisions").json()
        assert [d["decision"] for d in decisions["items"]] == [
            "rollback",
            "forward",
            "candidate",
            "serve",
        ]
        assert http.get("/model/decisions", params={"version": worse.version}).json()["total"] == 2
    assert cli("model", "decisions", "--json").json() == decisions
    shown = cli("model", "versions")
    assert shown.returncode == 0 and "candidate" not in shown.stdout.split(worse.version)[0]
    assert [v["status"] for v in cli("model", "versions", "--json").json()] == [
        "serving",
        "retired",
    ]
    assert cli("model", "use", "nope").returncode == 1


def test_cli_train_is_gated_and_force_overrides(
    gated: tuple[Engine, ModelManifest, ModelManifest],
) -> None:
    engine, first, _ = gated
    (engine.settings.data / "rapport.toml").write_text('[training]\nmodel = "popularity"\n')
    cli = Cli(engine.settings.data)
    kept = cli("model", "train", "--json").json()
    assert kept["gate"]["decision"] == "candidate"
    assert cli("model", "show", "--json").json()["version"] == first.version
    forced = cli("model", "train", "--force", "--json").json()
    assert forced["gate"]["decision"] == "serve" and forced["gate"]["comparison"] == "forced"
    assert cli("model", "show", "--json").json()["version"] == forced["version"]


def test_stored_numbers_are_compared_when_the_serving_settings_cannot_be_refitted(
    gated: tuple[Engine, ModelManifest, ModelManifest],
) -> None:
    engine, first, _ = gated
    path = engine.settings.data / "models" / "default" / first.version / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["config"]["regularization"] = -1  # a setting this release refuses
    path.write_text(json.dumps(manifest))
    kept = engine.models.train(config=WORSE)
    assert kept.gate is not None and kept.gate.decision == "candidate"
    assert kept.gate.comparison == "stored"
    assert kept.gate.serving_ndcg_at_10 == first.validation.ndcg_at_10
    assert "stored numbers of different splits" in kept.gate.reason


def test_decisions_are_kept_on_both_back_ends(engine: Engine) -> None:
    engine.items.add(items(), index=False)
    engine.events.add(synthetic_events(users=24))
    first = engine.models.train(config=GOOD)
    worse = engine.models.train(config=WORSE)
    assert worse.gate is not None and worse.gate.decision == "candidate"
    engine.models.use(worse.version, at=datetime(2030, 1, 1, tzinfo=UTC))
    page = engine.models.decisions(limit=2)
    assert page.total == 3 and [d.decision for d in page.items] == ["forward", "candidate"]
    assert page.items[0].created_at == datetime(2030, 1, 1, tzinfo=UTC)
    assert engine.models.decisions(offset=2).items[0].version == first.version
    assert statuses(engine) == [(first.version, "retired"), (worse.version, "serving")]
    assert engine.models.decisions(tenant="other").total == 0
