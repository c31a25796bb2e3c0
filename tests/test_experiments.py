"""A/B tests and online metrics on replayed logs whose true rates are known: hashing
assignment (stable, shares kept, independent across experiments), attribution, the
report's intervals and tests, the stop rule, and the recommendation path."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from scipy.stats import chi2_contingency

from rapport.bench.experiment import replay
from rapport.core.errors import Conflict, InvalidInput, NotFound
from rapport.core.signals import SignalWeights
from rapport.core.store.experiments import Experiment, ExperimentSpec
from rapport.core.store.impressions import Outcome, Shown
from rapport.engine import Engine
from rapport.interfaces.jobs.experiments import ExperimentGuardJob
from rapport.services.experiments.assignment import bucket, choose
from rapport.services.experiments.impressions import attribute
from rapport.services.experiments.statistics import difference_interval, two_sided_p, wilson

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
USERS = [f"user-{i}" for i in range(10_000)]


def experiment(name: str, shares: dict[str, float]) -> Experiment:
    spec = ExperimentSpec.model_validate(
        {"name": name, "variants": {k: {"share": v} for k, v in shares.items()}}
    )
    return Experiment(
        name=spec.name,
        variants=spec.variants,
        config=spec.config,
        status="running",
        stop_reason="",
        created_at=T0,
        stopped_at=None,
    )


# -- assignment ------------------------------------------------------------------------------


def test_shares_are_respected_within_binomial_tolerance() -> None:
    shares = {"A": 20.0, "B": 30.0, "C": 50.0}
    found = [choose(experiment("shares", shares), u) for u in USERS]
    n = len(USERS)
    for name, share in shares.items():
        p = share / 100
        observed = found.count(name) / n
        assert abs(observed - p) < 4 * (p * (1 - p) / n) ** 0.5, (name, observed)


def test_assignments_are_independent_across_experiments() -> None:
    first = experiment("home-page", {"A": 50, "B": 50})
    second = experiment("email-subject", {"X": 30, "Y": 70})
    table = np.zeros((2, 2))
    for user in USERS:
        table[int(choose(first, user) == "B"), int(choose(second, user) == "Y")] += 1
    assert chi2_contingency(table).pvalue > 0.01
    # The same test does detect dependence: an experiment against itself.
    again = np.zeros((2, 2))
    for user in USERS:
        again[int(choose(first, user) == "B"), int(bucket("home-page", user) < 0.5)] += 1
    assert chi2_contingency(again).pvalue < 1e-10


def test_assignment_is_stable_across_calls_and_processes() -> None:
    shares = experiment("stable", {"A": 50, "B": 50})
    here = [choose(shares, u) for u in USERS[:200]]
    assert here == [choose(shares, u) for u in USERS[:200]]
    script = (  # a fresh interpreter: no state shared with this one
        "import json\n"
        "from rapport.services.experiments.assignment import choose\n"
        "from rapport.core.store.experiments import Experiment\n"
        "e = Experiment.model_validate({'name': 'stable', 'variants': {'A': {'share': 50},"
        " 'B': {'share': 50}}, 'config': {}, 'status': 'running', 'stop_reason': '',"
        " 'created_at': '2026-03-02T09:00:00Z', 'stopped_at': None})\n"
        "print(json.dumps([choose(e, f'user-{i}') for i in range(200)]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == here
    assert set(here) == {"A", "B"}


# -- statistics ------------------------------------------------------------------------------


def test_wilson_and_newcombe_match_published_values() -> None:
    # Newcombe (1998), Statistics in Medicine 17: 873-890, tables I and II.
    low, high = wilson(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    low, high = wilson(0, 10)
    assert (round(low, 4), round(high, 4)) == (0.0, 0.2775)
    low, high = difference_interval(56, 70, 48, 80)  # 0.8 - 0.6
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)
    assert two_sided_p(50, 1000, 50, 1000) == pytest.approx(1.0)
    assert two_sided_p(150, 1000, 100, 1000) < 0.001


# -- attribution -----------------------------------------------------------------------------


def shown(user: str, item: str, at: datetime, rank: int = 1) -> Shown:
    return Shown("l", user, item, rank, "content", "v1", None, None, at)


def test_attribution_window_and_latest_impression() -> None:
    window = timedelta(hours=24)
    first = shown("u", "i", T0)
    second = shown("u", "i", T0 + timedelta(hours=30))
    other = shown("u", "j", T0)
    outcomes = [
        Outcome("u", "i", "click", T0 - timedelta(minutes=1)),  # before any impression
        Outcome("u", "i", "click", T0 + timedelta(hours=2)),  # -> first
        Outcome("u", "i", "purchase", T0 + timedelta(hours=31)),  # -> second (latest)
        Outcome("u", "j", "click", T0 + timedelta(hours=25)),  # outside the window
        Outcome("v", "i", "click", T0 + timedelta(hours=1)),  # another user
    ]
    found = {id(a.shown): a.outcomes for a in attribute([first, second, other], outcomes, window)}
    assert found[id(first)] == {"click"}
    assert found[id(second)] == {"purchase"}
    assert found[id(other)] == set()


def test_impression_events_are_not_preference_signals(sqlite_engine: Engine) -> None:
    assert SignalWeights(weights={"impression": 1.0}).of("impression", None) == 0.0
    sqlite_engine.events.add(
        [
            {"user_id": "u", "item_id": "a", "type": "impression", "timestamp": T0.isoformat()},
            {"user_id": "u", "item_id": "a", "type": "click", "timestamp": T0.isoformat()},
        ]
    )
    store = sqlite_engine._services.store
    assert [s[1] for s in store.item_signals("default", user_id="u")] == ["click"]
    assert {t for batch in store.item_event_columns("default") for t in batch.types} == {"click"}


# -- replayed logs with known rates ----------------------------------------------------------


def test_report_recovers_known_rates(engine: Engine) -> None:
    guard = {"guard": {"min_impressions": 100_000}}  # never stops here
    engine.experiments.create(
        "differ", {"A": {"share": 50}, "B": {"share": 50}}, config=guard, at=T0
    )
    engine.experiments.create("same", {"A": {"share": 50}, "B": {"share": 50}}, config=guard, at=T0)
    truth = {"A": (0.10, 0.03), "B": (0.16, 0.03)}
    users = replay(engine, "differ", truth, 1500, seed=1)
    replay(engine, "same", {"A": (0.10, 0.03), "B": (0.10, 0.03)}, 1500, seed=2)

    found = engine.experiments.report("differ", at=T0 + timedelta(days=1))
    for name, (ctr, conversion) in truth.items():
        variant = found.variants[name]
        assert variant.users == users[name]
        assert variant.impressions == 4 * users[name]
        assert variant.ctr_low <= ctr <= variant.ctr_high
        assert variant.conversion_low <= conversion <= variant.conversion_high
    b = found.variants["B"]
    assert b.ctr_difference_low is not None and b.ctr_difference_high is not None
    assert b.ctr_difference_low <= 0.06 <= b.ctr_difference_high
    assert b.ctr_difference_low > 0
    assert found.p_value is not None and found.p_value < 1e-6
    assert found.guard.stop is False

    equal = engine.experiments.report("same", at=T0 + timedelta(days=1))
    assert equal.p_value is not None and equal.p_value > 0.05
    # Each experiment counts only its own impressions.
    assert sum(v.impressions for v in equal.variants.values()) == 4 * 1500


def test_stop_rule_stops_a_clearly_worse_variant_only(engine: Engine) -> None:
    guard = {"guard": {"metric": "conversion", "min_impressions": 1000, "alpha": 0.001}}
    engine.experiments.create(
        "worse", {"A": {"share": 50}, "B": {"share": 50}}, config=guard, at=T0
    )
    engine.experiments.create(
        "equal", {"A": {"share": 50}, "B": {"share": 50}}, config=guard, at=T0
    )
    replay(engine, "worse", {"A": (0.1, 0.08), "B": (0.1, 0.02)}, 1200, seed=3)
    replay(engine, "equal", {"A": (0.1, 0.05), "B": (0.1, 0.05)}, 1200, seed=4)
    later = T0 + timedelta(days=1)

    # Too few impressions yet: the minimum sample keeps the rule quiet.
    early = engine.experiments.check("worse", at=T0 + timedelta(seconds=600))
    assert early.status == "running" and early.guard.p_values == {}

    # The background job applies every running experiment's rule (here: after the replay).
    assert ExperimentGuardJob(engine).run_once() == {"default": ["worse"]}
    stopped = engine.experiments.report("worse", at=later)
    assert stopped.status == "stopped" and stopped.guard.worse == ["B"]
    assert engine.experiments.get("worse").status == "stopped"
    assert "variant 'B' is worse" in engine.experiments.get("worse").stop_reason
    kept = engine.experiments.check("equal", at=later)
    assert kept.status == "running" and kept.guard.stop is False
    assert kept.guard.p_values["B"] > 0.001
    with pytest.raises(Conflict):
        engine.experiments.stop("worse")
    assert engine.experiments.stop("equal", reason="done").stop_reason == "done"


def test_imported_impression_and_click_events_count_for_the_assigned_variant(
    sqlite_engine: Engine,
) -> None:
    engine = sqlite_engine
    engine.experiments.create("imported", {"A": {"share": 50}, "B": {"share": 50}}, at=T0)
    users = [f"imp-{i}" for i in range(40)]
    assigned = {a.user_id: a.variant for a in engine.experiments.assign_many("imported", users)}
    events = []
    for n, user in enumerate(users):
        at = T0 + timedelta(minutes=n + 1)
        events.append({"user_id": user, "item_id": "x", "type": "impression", "timestamp": at})
        if assigned[user] == "B":  # only B's users click
            later = at + timedelta(minutes=1)
            events.append({"user_id": user, "item_id": "x", "type": "click", "timestamp": later})
    engine.events.add(events)
    found = engine.experiments.report("imported", at=T0 + timedelta(days=1))
    count_b = sum(1 for v in assigned.values() if v == "B")
    assert found.variants["B"].impressions == count_b
    assert found.variants["B"].clicks == count_b
    assert found.variants["A"].impressions == len(users) - count_b
    assert found.variants["A"].clicks == 0


def test_bad_experiments_name_the_field(sqlite_engine: Engine) -> None:
    with pytest.raises(InvalidInput) as bad:
        sqlite_engine.experiments.create("x", {"A": {"share": 60}, "B": {"share": 30}})
    assert bad.value.errors[0].field == "variants"
    with pytest.raises(InvalidInput) as bad:
        sqlite_engine.experiments.create(
            "x", {"A": {"share": 50}, "B": {"share": 50, "settings": {"model_version": "nope"}}}
        )
    assert bad.value.errors[0].field == "variants.B.settings.model_version"
    with pytest.raises(InvalidInput) as bad:
        sqlite_engine.experiments.create(
            "x", {"A": {"share": 50}, "B": {"share": 50}}, config={"control": "C"}
        )
    assert bad.value.errors[0].field == "config.control"
    assert sqlite_engine.experiments.list() == []
    with pytest.raises(NotFound):
        sqlite_engine.experiments.report("missing")
    sqlite_engine.experiments.create("x", {"A": {"share": 50}, "B": {"share": 50}})
    with pytest.raises(Conflict):
        sqlite_engine.experiments.create("x", {"A": {"share": 50}, "B": {"share": 50}})


# -- the recommendation path -----------------------------------------------------------------

TITLES = {
    "jazz": ["Live jazz trio", "Bebop saxophone quartet", "Jazz piano night", "Swing dance"],
    "cooking": ["Vegan curry class", "Sourdough workshop", "Knife skills", "Pasta from scratch"],
    "coding": ["Intro to Python", "Pandas data analysis", "FastAPI web apps", "SQL basics"],
}


def stocked(engine: Engine) -> dict[str, str]:
    """A small catalogue, a popular item, and one user in each variant of `home`."""
    engine.items.add(
        [
            {"id": f"{topic}-{n}", "kind": "event", "title": title, "categories": [topic]}
            for topic, titles in TITLES.items()
            for n, title in enumerate(titles)
        ]
    )
    fans = [f"fan-{i}" for i in range(6)]
    engine.users.add([{"id": f, "profile": {"interests": ["cooking"]}} for f in fans])
    engine.events.add(
        [
            {"user_id": f, "item_id": "coding-2", "type": "purchase", "timestamp": T0.isoformat()}
            for f in fans
        ]
    )
    engine.experiments.create(
        "home",
        {
            "A": {"share": 50, "settings": {"diversity": 0.0}},
            "B": {"share": 50, "settings": {"mode": "popular"}},
        },
        at=T0,
    )
    chosen: dict[str, str] = {}
    for assignment in engine.experiments.assign_many("home", [f"reader-{i}" for i in range(20)]):
        chosen.setdefault(assignment.variant, assignment.user_id)
    engine.users.add([{"id": u, "profile": {"interests": ["jazz"]}} for u in chosen.values()])
    return chosen


def test_recommendations_name_the_variant_and_log_impressions(engine: Engine) -> None:
    chosen = stocked(engine)
    at = T0 + timedelta(hours=1)
    personal = engine.recommendations.for_user(chosen["A"], k=5, log_impressions=True, at=at)
    popular = engine.recommendations.for_user(chosen["B"], k=5, log_impressions=True, at=at)
    assert (personal.experiment, personal.variant) == ("home", "A")
    assert (popular.experiment, popular.variant) == ("home", "B")
    assert personal.list_id and popular.list_id
    # The popular arm ranks by popularity only; the personalised one follows the interests.
    assert popular.items[0].item_id == "coding-2"
    assert all(set(r.sources) <= {"popularity", "trending"} for r in popular.items)
    assert personal.items[0].item_id.startswith("jazz")

    # Not logged unless asked (or configured for the tenant).
    engine.recommendations.for_user(chosen["A"], k=5, at=at)
    engine.events.add(
        [
            {
                "user_id": chosen["A"],
                "item_id": personal.items[1].item_id,
                "type": "click",
                "timestamp": (at + timedelta(minutes=2)).isoformat(),
            }
        ]
    )
    found = engine.impressions.metrics(at=at + timedelta(hours=2), k=1)
    assert found.overall.impressions == 10 and found.overall.users == 2
    assert found.by_variant["home/A"].impressions == 5
    assert found.by_variant["home/A"].clicks == 1
    assert found.by_variant["home/A"].ctr == pytest.approx(0.2)
    assert found.by_variant["home/A"].ctr_at_k == 0.0  # the click was at rank 2
    assert found.by_variant["home/B"].clicks == 0
    popular_sources = sum(
        found.by_source[s].impressions for s in ("popularity", "trending") if s in found.by_source
    )
    assert popular_sources == 5  # the popular arm's items, each under its main source
    assert found.catalogue_items == 12
    assert 0 < found.overall.coverage <= 10 / 12
    report = engine.experiments.report("home", at=at + timedelta(hours=2))
    assert report.variants["A"].clicks == 1 and report.variants["B"].impressions == 5


# -- REST and CLI ----------------------------------------------------------------------------


def test_rest_shapes_and_bad_input(live: Any) -> None:
    import httpx

    with httpx.Client(base_url=live.url, timeout=60) as http:
        bad = http.post(
            "/experiments", json={"name": "r", "variants": {"A": {"share": 70}, "B": {"share": 20}}}
        )
        assert bad.status_code == 422 and "variants" in bad.text
        created = http.post(
            "/experiments",
            params={"at": T0.isoformat()},
            json={"name": "r", "variants": {"A": {"share": 50}, "B": {"share": 50}}},
        )
        assert created.status_code == 200, created.text
        assert created.json()["status"] == "running"
        assert http.post("/experiments", json=created.json() | {"status": None}).status_code == 422
        assert http.get("/experiments/missing/report").status_code == 404
        one = http.get("/experiments/r/users/u-1").json()
        many = http.post("/experiments/r/assign", json={"user_ids": ["u-1", "u-2"]}).json()
        assert many[0] == one and set(one) == {"user_id", "variant"}
        at = (T0 + timedelta(minutes=1)).isoformat()
        logged = http.post(
            "/impressions",
            json={
                "user_id": "u-1",
                "item_ids": ["a", "b"],
                "experiment": "r",
                "variant": one["variant"],
                "at": at,
            },
        )
        assert logged.json()["impressions"] == 2
        report = http.get(
            "/experiments/r/report", params={"at": (T0 + timedelta(hours=1)).isoformat()}
        )
        body = report.json()
        assert body["variants"][one["variant"]]["impressions"] == 2
        assert {"users", "impressions", "clicks", "ctr", "ctr_low", "ctr_high"} <= set(
            body["variants"]["A"]
        )
        assert "p_value" in body
        metrics = http.get("/metrics/online", params={"at": (T0 + timedelta(hours=1)).isoformat()})
        assert metrics.json()["overall"]["impressions"] == 2
        assert (
            http.get("/metrics/online", params={"since": at, "at": T0.isoformat()}).status_code
            == 422
        )
        stopped = http.post("/experiments/r/stop", json={"reason": "enough"})
        assert stopped.json()["stop_reason"] == "enough"
        assert http.post("/experiments/r/stop").status_code == 409
        assert [
            e["name"] for e in http.get("/experiments", params={"status": "stopped"}).json()
        ] == ["r"]


def test_cli_shapes(cli: Any, tmp_path: Any) -> None:
    bad = cli("experiment", "create", "c", "--variants", "A:60,B:30")
    assert bad.returncode == 2 and "variants" in bad.stderr
    assert cli("experiment", "create", "c", "--variants", "A50").returncode == 2
    created = cli(
        "experiment", "create", "c", "--variants", "A:50,B:50",
        "--settings", "B:mode=popular,diversity=0.5,blend.content=2", "--at", T0.isoformat(),
        "--json",
    ).json()  # fmt: skip
    assert created["variants"]["B"]["settings"]["mode"] == "popular"
    assert created["variants"]["B"]["settings"]["diversity"] == 0.5
    assert created["variants"]["B"]["settings"]["blend"] == {"content": 2.0}
    users = tmp_path / "users.txt"
    users.write_text("\n".join(f"u-{i}" for i in range(50)) + "\n")
    ran = cli("experiment", "assign", "c", "--users-file", str(users), "--jsonl")
    lines = [json.loads(line) for line in ran.stdout.splitlines()]
    assert len(lines) == 50 and set(lines[0]) == {"user_id", "variant"}
    assert {line["variant"] for line in lines} == {"A", "B"}
    again = cli("experiment", "assign", "c", "--users-file", str(users), "--jsonl")
    assert again.stdout == ran.stdout
    report = cli("experiment", "report", "c", "--json").json()
    assert set(report["variants"]) == {"A", "B"} and "p_value" in report
    assert {"users", "impressions", "clicks", "ctr"} <= set(report["variants"]["A"])
    assert cli("experiment", "report", "missing", "--json").returncode != 0
    assert [e["name"] for e in cli("experiment", "list", "--json").json()] == ["c"]
    assert (
        cli("experiment", "stop", "c", "--reason", "done", "--json").json()["status"] == "stopped"
    )
    metrics = cli("metrics", "online", "--json").json()
    assert metrics["overall"]["impressions"] == 0 and "by_variant" in metrics


def test_a_tenant_setting_logs_every_list(tmp_path: Any, embedder: Any) -> None:
    settings = {"log_impressions_tenants": ["shop"]}
    with Engine(data=tmp_path, embedder=embedder, experiments=settings) as engine:
        items = [{"id": f"i{n}", "kind": "event", "title": f"Jazz night {n}"} for n in range(4)]
        for tenant in ("shop", "other"):
            engine.items.add(items, tenant=tenant)
            engine.users.add([{"id": "u", "profile": {"interests": ["jazz"]}}], tenant=tenant)
            found = engine.recommendations.for_user("u", k=3, at=T0, tenant=tenant)
            assert found.experiment is None and found.model_version == ""
        at = T0 + timedelta(hours=1)
        assert engine.impressions.metrics(at=at, tenant="shop").overall.impressions == 3
        assert engine.impressions.metrics(at=at, tenant="other").overall.impressions == 0


def test_epsilon_greedy_variant_explores_below_the_top(sqlite_engine: Engine) -> None:
    engine = sqlite_engine
    items = [{"id": f"i{n}", "kind": "event", "title": f"Jazz night {n}"} for n in range(12)]
    engine.items.add(items)
    engine.users.add([{"id": "u", "profile": {"interests": ["jazz"]}}])
    explore = {"share": 50, "settings": {"epsilon": 1.0}}
    engine.experiments.create("explore", {"A": explore, "B": explore}, at=T0)
    explored = engine.recommendations.for_user("u", k=3, at=T0, log_impressions=True)
    assert explored.variant in {"A", "B"} and len(explored.items) == 3
    assert all(r.sources == ["explore"] for r in explored.items)
    assert explored == engine.recommendations.for_user("u", k=3, at=T0).model_copy(
        update={"list_id": explored.list_id}
    )  # the same draw for the same user and moment
    engine.experiments.stop("explore")
    exploit = engine.recommendations.for_user("u", k=3, at=T0)
    assert not {r.item_id for r in exploit.items} & {r.item_id for r in explored.items}
    metrics = engine.impressions.metrics(at=T0 + timedelta(hours=1))
    assert metrics.by_source["explore"].impressions == 3


def test_a_variant_blend_reweighs_the_sources(sqlite_engine: Engine) -> None:
    engine = sqlite_engine
    stocked(engine)
    engine.experiments.stop("home")
    # B leaves every source but popularity out: its lists are what the fans bought.
    only_popular = {"collaborative": 0, "content": 0, "neighbours": 0, "trending": 0, "new": 0}
    engine.experiments.create(
        "blend",
        {"A": {"share": 50}, "B": {"share": 50, "settings": {"blend": only_popular}}},
        at=T0,
    )
    chosen: dict[str, str] = {}
    for assignment in engine.experiments.assign_many("blend", [f"new-{i}" for i in range(20)]):
        chosen.setdefault(assignment.variant, assignment.user_id)
    engine.users.add([{"id": u, "profile": {"interests": ["jazz"]}} for u in chosen.values()])
    at = T0 + timedelta(hours=1)
    usual = engine.recommendations.for_user(chosen["A"], k=3, at=at)
    reweighed = engine.recommendations.for_user(chosen["B"], k=3, at=at)
    assert reweighed.variant == "B" and reweighed.items[0].item_id == "coding-2"
    assert all("content" not in r.sources for r in reweighed.items)
    assert usual.items[0].item_id.startswith("jazz")  # A follows the stated interest
    with pytest.raises(InvalidInput, match="blend"):
        engine.experiments.create("bad", {"A": {"share": 100, "settings": {"blend": {"x": 1}}}})


def test_stop_rule_is_safe_under_repeated_looks() -> None:
    from rapport.bench.experiment import stop_rate

    # Checked after every 500 impressions per arm, 20 times: equal arms rarely stop.
    assert stop_rate(0.05, 0.05, runs=400, seed=1) < 0.02
    assert stop_rate(0.05, 0.03, runs=200, seed=2) > 0.95
