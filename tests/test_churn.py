"""Abandonment risk and next action on replayed timelines: a known group fades and stops,
the trained model ranks them above the users who stay; drivers name recent activity; a
strict category cycle is predicted; library, REST and CLI agree; bad input is refused."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from rapport.core.activity import ActivityLog
from rapport.core.errors import Conflict, InvalidInput, NotFound
from rapport.engine import Engine
from rapport.services.engage import churn
from tests.churn_world import ChurnWorld
from tests.conftest import Cli, CountingEmbedder, LiveServer

TRAIN_DAY = 50
EVAL_DAYS = (53, 56, 59, 62, 65)


@pytest.fixture(scope="module")
def world() -> ChurnWorld:
    return ChurnWorld(users=50, days=70)


def _log(world: ChurnWorld) -> ActivityLog:
    events = world.events
    return ActivityLog.from_columns(
        [str(e["user_id"]) for e in events],
        [str(e["item_id"]) for e in events],
        [str(e["type"]) for e in events],
        [e["value"] for e in events],  # type: ignore[misc]
        [datetime.fromisoformat(str(e["timestamp"])).timestamp() for e in events],
    )


def _truth(world: ChurnWorld, day: float, horizon: float) -> dict[str, int]:
    """Users active in the 3 horizons before `day`: 1 when silent in the horizon after."""
    start, cut, end = (world.at(day - 3 * horizon), world.at(day), world.at(day + horizon))
    recent: set[str] = set()
    after: set[str] = set()
    for e in world.events:
        moment = datetime.fromisoformat(str(e["timestamp"]))
        if start < moment <= cut:
            recent.add(str(e["user_id"]))
        elif cut < moment <= end:
            after.add(str(e["user_id"]))
    return {user: int(user not in after) for user in sorted(recent)}


def test_horizon_comes_from_the_gaps_between_sessions(world: ChurnWorld) -> None:
    log = _log(world)
    days, source = churn.horizon(log, churn.ChurnConfig())
    gaps = churn.session_gaps(log)
    assert days == np.ceil(np.quantile(gaps, 0.9)) and "90% quantile" in source
    # Sessions are 0.2-1.2 days apart, 1.5-3.5 while fading: the horizon is between.
    assert 1 <= days <= 3.5
    assert churn.horizon(log, churn.ChurnConfig(horizon_days=7))[0] == 7


def test_features_count_what_happened_before_the_cutoff(world: ChurnWorld) -> None:
    log = _log(world)
    cutoff = world.at(50).timestamp()
    users, x = churn.features(log, churn.Sessions.of(log), cutoff, 2.0)
    names = churn.NAMES
    mine = log.users == users[0]
    before = log.times[mine & (log.times <= cutoff)]
    row = x[0]
    assert row[names.index("days_since_last")] == pytest.approx((cutoff - before[-1]) / 86400)
    assert row[names.index("events_total")] == len(before)
    assert row[names.index("events_horizon")] == np.sum(before > cutoff - 2 * 86400)
    assert row[names.index("tenure_days")] == pytest.approx((cutoff - before[0]) / 86400)
    # Nobody gone longer than three horizons is in the training population.
    assert (x[:, names.index("days_since_last")] <= 6).all()


def test_stopping_users_rank_above_those_who_stay(engine: Engine, world: ChurnWorld) -> None:
    engine.items.add(world.items(), index=False)
    engine.events.add(world.events)
    manifest = engine.churn.train(at=world.at(TRAIN_DAY))
    assert manifest.at == world.at(TRAIN_DAY)
    assert max(manifest.training_cutoffs) <= world.at(TRAIN_DAY - manifest.horizon_days)
    assert set(manifest.validation) == {"logistic", "boosting", "peer"}
    assert manifest.validation[manifest.model].roc_auc > manifest.validation["peer"].roc_auc
    assert engine.churn.show().version == manifest.version
    folder = engine.settings.data / "models" / "default" / "churn" / manifest.version
    assert (folder / "model.joblib").is_file() and (folder / "manifest.json").is_file()
    assert engine.models.versions() == []  # not mistaken for a recommender version

    labels, risks = [], []
    recent_effect: dict[int, list[float]] = {0: [], 1: []}
    for day in EVAL_DAYS:  # after the training moment: unseen
        for user, label in _truth(world, day, manifest.horizon_days).items():
            found = engine.churn.risk(user, at=world.at(day))
            assert found.probability is not None and 0 < found.probability < 1
            labels.append(label)
            risks.append(found.probability)
            effects = {d.feature: d.effect for d in found.drivers}
            recent_effect[label].append(
                effects.get("recent_activity", 0.0) + effects.get("longer_activity", 0.0)
            )
            if label and world.stop_day[user] <= day - manifest.horizon_days:
                # Gone silent: little activity drives the risk up most, and what the world
                # planted before the silence (longer gaps, lower ratings) pushes it up too.
                top = found.drivers[0]
                assert top.feature in ("recent_activity", "longer_activity") and top.effect > 0
                raising = {d.feature for d in found.drivers[:3] if d.effect > 0}
                assert raising & {"rhythm", "ratings"}
    assert 5 <= sum(labels) < len(labels)
    assert roc_auc_score(labels, risks) >= 0.9
    assert np.mean(recent_effect[1]) > np.mean(recent_effect[0]) + 1

    # Many at once, from one read of the events: the same numbers.
    day = world.at(EVAL_DAYS[0])
    truth = _truth(world, EVAL_DAYS[0], manifest.horizon_days)
    many = engine.churn.risks([*truth, "nobody"], at=day)
    for one in many[:-1]:
        single = engine.churn.risk(one.user_id, at=day)
        assert one.probability == pytest.approx(single.probability, abs=1e-6)
        assert [d.feature for d in one.drivers] == [d.feature for d in single.drivers]
    assert many[-1].user_id == "nobody" and many[-1].probability is None
    # The engage scores carry the same risk and drivers once a model is trained.
    user = next(iter(truth))
    scores = engine.engage.scores(user, at=day)
    single = engine.churn.risk(user, at=day)
    assert scores.abandonment_risk == pytest.approx(single.probability, abs=1e-9)
    assert [d.feature for d in scores.abandonment_drivers] == [d.feature for d in single.drivers]
    everyone = engine.churn.risks(at=day, drivers=False)
    assert {r.user_id for r in everyone} >= set(truth)
    assert all(r.drivers == [] and r.probability is not None for r in everyone)


def test_risk_without_a_model_or_activity(engine: Engine, world: ChurnWorld) -> None:
    engine.users.add([{"id": "quiet"}])
    with pytest.raises(Conflict, match="churn train"):
        engine.churn.risk("quiet")
    with pytest.raises(NotFound):
        engine.churn.show()
    with pytest.raises(Conflict):
        engine.churn.train()  # no events at all
    engine.events.add(world.events)
    engine.churn.train(at=world.at(TRAIN_DAY))
    quiet = engine.churn.risk("quiet", at=world.at(TRAIN_DAY))
    assert quiet.probability is None and quiet.drivers == []
    early = engine.churn.risk("u000", at=world.at(-1))  # before their first event
    assert early.probability is None
    with pytest.raises(NotFound, match="nobody"):
        engine.churn.risk("nobody")
    with pytest.raises(InvalidInput) as raised:
        engine.churn.risk("u000", at="next tuesday-ish")
    assert raised.value.errors[0].field == "at"


def test_a_short_history_is_refused_with_the_reason(sqlite_engine: Engine) -> None:
    sqlite_engine.events.add(
        [
            {"user_id": "a", "item_id": "x", "type": "view", "timestamp": "2026-01-01T10:00:00"},
            {"user_id": "a", "item_id": "y", "type": "view", "timestamp": "2026-01-02T10:00:00"},
        ]
    )
    with pytest.raises(Conflict, match="gaps between sessions"):
        sqlite_engine.churn.train(at="2026-01-03")


def _cycle_events() -> list[dict[str, object]]:
    """Every user walks python -> design -> music -> python ... one new item a day (ten
    items per category, none twice)."""
    events: list[dict[str, object]] = []
    rng = np.random.default_rng(1)
    for n in range(12):
        start = int(rng.integers(0, 3))
        walks = {c: iter(rng.permutation(10).tolist()) for c in range(3)}
        for step in range(15):
            category = (start + step) % 3
            item = f"i{3 * next(walks[category]) + category:02d}"
            events.append(
                {
                    "user_id": f"c{n}",
                    "item_id": item,
                    "type": "rate",
                    "value": 5.0,
                    "timestamp": f"2026-03-{1 + step:02d}T{8 + n % 10:02d}:00:00",
                }
            )
    return events


def test_next_category_follows_a_strict_cycle(engine: Engine, world: ChurnWorld) -> None:
    engine.items.add(world.items(), index=False)
    engine.events.add(_cycle_events())
    order = ["python", "design", "music"]
    for user in ("c0", "c1", "c5"):
        found = engine.recommendations.next(user, k=3, at="2026-03-20")
        assert found.source == "transitions"
        last = next(i for i in world.items() if i["id"] == found.last_item)
        expected = order[(order.index(last["categories"][0]) + 1) % 3]  # type: ignore[index]
        assert found.categories[0].category == expected
        assert found.categories[0].probability > 0.8
        assert sum(c.probability for c in found.categories) <= 1 + 1e-9
        assert sum(i.probability for i in found.items) <= 1 + 1e-9
        assert found.items[0].category == expected  # observed successors lead
        assert len(found.items) == 3
    # Replayed earlier, the same user's last item is an earlier one.
    earlier = engine.recommendations.next("c0", at="2026-03-05T23:00:00")
    assert earlier.last_item != engine.recommendations.next("c0", at="2026-03-20").last_item
    with pytest.raises(InvalidInput) as raised:
        engine.recommendations.next("c0", k=0)
    assert raised.value.errors[0].field == "k"
    with pytest.raises(NotFound):
        engine.recommendations.next("nobody")


def test_next_from_the_sequence_model_when_it_serves(
    tmp_path: Path, embedder: CountingEmbedder, world: ChurnWorld
) -> None:
    settings = {"hidden_size": 16, "max_len": 8, "dropout": 0.1, "learning_rate": 0.01}
    training = {"model": "sasrec", "settings": settings | {"epochs": 40}, "space": {}}
    with Engine(data=tmp_path, embedder=embedder, training=training) as engine:
        engine.items.add(world.items(), index=False)
        engine.events.add(_cycle_events())
        assert engine.models.train().model == "sasrec"
        order = ["python", "design", "music"]
        for user in ("c0", "c1", "c5"):
            found = engine.recommendations.next(user, k=30, at="2026-03-20")
            assert found.source == "sasrec"
            last = next(i for i in world.items() if i["id"] == found.last_item)
            expected = order[(order.index(last["categories"][0]) + 1) % 3]  # type: ignore[index]
            assert found.categories[0].category == expected
            assert found.categories[0].probability > 0.5
            # A softmax over the catalogue it learned: all of it sums to one.
            assert sum(i.probability for i in found.items) == pytest.approx(1, abs=1e-3)
            assert sum(c.probability for c in found.categories) == pytest.approx(1, abs=1e-3)


def test_rest_and_cli_agree_with_the_library(sqlite_engine: Engine, world: ChurnWorld) -> None:
    engine = sqlite_engine
    engine.items.add(world.items(), index=False)
    engine.events.add(world.events)
    at = world.at(TRAIN_DAY).isoformat()
    with LiveServer(engine) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        assert http.get("/churn").status_code == 404
        assert http.get("/users/u001/abandonment", params={"at": at}).status_code == 409
        trained = http.post("/churn/train", params={"at": at})
        assert trained.status_code == 200, trained.text
        version = trained.json()["version"]
        assert http.get("/churn").json()["version"] == version
        risk = http.get("/users/u001/abandonment", params={"at": at}).json()
        assert risk == engine.churn.risk("u001", at=at).model_dump(mode="json")
        bad = http.get("/users/u001/abandonment", params={"at": "soonish"})
        assert bad.status_code == 422 and "at" in bad.text
        assert http.get("/users/nobody/abandonment").status_code == 404
        nxt = http.get("/users/u001/next", params={"k": 2, "at": at}).json()
        assert nxt == engine.recommendations.next("u001", 2, at).model_dump(mode="json")
        assert http.get("/users/u001/next", params={"k": 0}).status_code == 422
        assert http.get("/users/u001/next", params={"at": "later"}).status_code == 422
        assert http.get("/users/nobody/next").status_code == 404
    cli = Cli(engine.settings.data)
    shown = cli("churn", "show", "--json").json()
    assert shown["version"] == version
    assert cli("churn", "risk", "u001", "--at", at, "--json").json() == risk
    assert cli("churn", "risk", "u001", "--at", "soonish").returncode == 2
    assert cli("churn", "risk", "nobody").returncode == 1
    printed = cli("churn", "risk", "u001", "--at", at)
    assert printed.returncode == 0 and "activity in the last" in printed.stdout
    assert cli("next", "u001", "--k", "2", "--at", at, "--json").json() == nxt
    assert cli("next", "u001", "--k", "0").returncode == 2
    retrained = cli("churn", "train", "--at", at, "--json").json()
    assert retrained["version"] != version and retrained["horizon_days"] == shown["horizon_days"]


def test_the_retrain_job_trains_abandonment_risk_too(
    tmp_path: Path, embedder: CountingEmbedder, world: ChurnWorld
) -> None:
    from rapport.interfaces.jobs.scheduler import RetrainJob

    with Engine(data=tmp_path, embedder=embedder, training={"model": "popularity"}) as engine:
        engine.events.add(world.events)  # the job trains at the clock's now, months later
        assert not engine.churn.available()
        assert RetrainJob(engine, min_new_events=10, min_growth=0.0).run_once() == ["default"]
        assert engine.churn.available()
        assert engine.churn.show().rows > 0
