"""`rapport bench recommend`: MovieLens split by time; tuned peers and rapport's trained
recommender on the same split."""

from __future__ import annotations

import time
from pathlib import Path

from rapport.bench.datasets import movielens_events
from rapport.bench.progress import Bars, no_bars
from rapport.core.interactions import Interactions
from rapport.core.models import Event, Schema, to_utc
from rapport.evaluation.peers import OWN, Comparison, compare
from rapport.services.recommend.models import MODELS, PEERS


class RecommendBench(Schema):
    interactions: int
    users: int
    items: int
    seconds: float
    comparison: Comparison


def load_movielens(folder: Path) -> Interactions:
    events = [
        Event.model_construct(**{**row, "timestamp": to_utc(row["timestamp"])})
        for row in movielens_events(folder)
    ]
    return Interactions.from_events(events)


def bench_recommend(
    movielens: Path, peers: list[str] | None = None, bars: Bars = no_bars
) -> RecommendBench:
    names = PEERS if peers is None else peers
    unknown = [p for p in names if p not in MODELS]
    if unknown:
        raise ValueError(f"unknown peer(s) {', '.join(unknown)}: use {', '.join(PEERS)}")
    started = time.perf_counter()
    data = load_movielens(movielens)
    models = {name: MODELS[name] for name in names} | {OWN: MODELS["hybrid"]}
    # Tuning tries an unknown number of configurations: the bar counts, without a total.
    with bars("tune and evaluate (configurations tried)", None) as advance:
        comparison = compare(models, data, progress=advance)
    return RecommendBench(
        interactions=len(data),
        users=len(data.user_ids),
        items=len(data.item_ids),
        seconds=round(time.perf_counter() - started, 1),
        comparison=comparison,
    )
