"""A replayed A/B test whose true rates are known: users assigned by the experiment's hash,
lists logged as impressions, clicks and purchases drawn with each variant's true rates
(seeded). Used by the tests and by `rapport bench experiment` (the plot in
docs/experiments.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from rapport.engine import Engine
from rapport.engine.schemas import ExperimentReport

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def replay(
    engine: Engine,
    name: str,
    rates: dict[str, tuple[float, float]],
    users: int,
    *,
    seed: int,
    per_list: int = 4,
    start: datetime = START,
) -> dict[str, int]:
    """Serve each user one list of `per_list` items in their variant of `name` (which must
    exist); each impression is clicked with the variant's true CTR and converted with its
    true conversion rate. Returns users per variant."""
    rng = np.random.default_rng(seed)
    ids = [f"{name}-user-{i}" for i in range(users)]
    assigned = {a.user_id: a.variant for a in engine.experiments.assign_many(name, ids)}
    lists: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for n, user in enumerate(ids):
        variant = assigned[user]
        at = start + timedelta(seconds=10 * n + 1)
        items = [f"item-{(n + r) % 50}" for r in range(per_list)]
        lists.append(
            {"user_id": user, "item_ids": items, "at": at, "experiment": name, "variant": variant}
        )
        ctr, conversion = rates[variant]
        for item in items:
            if rng.random() < ctr:
                when = at + timedelta(minutes=5)
                events.append(
                    {"user_id": user, "item_id": item, "type": "click", "timestamp": when}
                )
            if rng.random() < conversion:
                when = at + timedelta(hours=1)
                events.append(
                    {"user_id": user, "item_id": item, "type": "purchase", "timestamp": when}
                )
    engine.impressions.log_many(lists)
    engine.events.add(events)
    counts: dict[str, int] = {}
    for variant in assigned.values():
        counts[variant] = counts.get(variant, 0) + 1
    return counts


def replayed_report(
    engine: Engine, rates: dict[str, tuple[float, float]], users: int, seed: int = 7
) -> ExperimentReport:
    """A fresh experiment with equal shares over `rates`' variants, replayed and reported."""
    shares = {name: {"share": 100 / len(rates)} for name in rates}
    last = list(shares)[-1]
    shares[last]["share"] = 100 - sum(s["share"] for n, s in shares.items() if n != last)
    engine.experiments.create(
        "replayed", shares, config={"guard": {"min_impressions": 10**9}}, at=START
    )
    replay(engine, "replayed", rates, users, seed=seed)
    return engine.experiments.report("replayed", at=START + timedelta(days=2))


def stop_rate(
    control: float,
    variant: float,
    *,
    looks: int = 20,
    per_look: int = 500,
    runs: int = 2000,
    seed: int = 0,
) -> float:
    """How often the default stop rule (min 1,000 impressions, one-sided alpha 0.001, no
    tolerated drop) stops `variant` when the guard is checked after every `per_look` new
    impressions per arm, `looks` times: the false-stop rate when the rates are equal, the
    power when the variant is worse."""
    from rapport.engine.schemas import GuardConfig
    from rapport.services.experiments.statistics import worse_p

    guard = GuardConfig()
    rng = np.random.default_rng(seed)
    stopped = 0
    for _ in range(runs):
        base = rng.binomial(per_look, control, looks).cumsum()
        tried = rng.binomial(per_look, variant, looks).cumsum()
        for look in range(looks):
            n = per_look * (look + 1)
            if n < guard.min_impressions:
                continue
            p = worse_p(int(tried[look]), n, int(base[look]), n, guard.max_drop)
            if p < guard.alpha:
                stopped += 1
                break
    return stopped / runs
