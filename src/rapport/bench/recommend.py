"""`rapport bench recommend`: MovieLens split by time; tuned peers and rapport's trained
recommender on the same split."""

from __future__ import annotations

import time
from pathlib import Path

import structlog
from pydantic import Field

from rapport.bench.datasets import movielens_events
from rapport.bench.progress import Bars, no_bars
from rapport.core.errors import Unavailable
from rapport.core.interactions import Interactions
from rapport.core.models import Event, Schema, to_utc
from rapport.evaluation.peers import OWN, Comparison, compare
from rapport.services.recommend.models import MODELS, OPTIONAL_PEERS, PEERS

log = structlog.get_logger(__name__)


class RecommendBench(Schema):
    interactions: int
    users: int
    items: int
    seconds: float
    comparison: Comparison
    skipped: dict[str, str] = Field(default_factory=dict)
    """Default peers left out because their optional library is missing: name -> how to
    install it."""


def load_movielens(folder: Path) -> Interactions:
    events = [
        Event.model_construct(**{**row, "timestamp": to_utc(row["timestamp"])})
        for row in movielens_events(folder)
    ]
    return Interactions.from_events(events)


def default_peers() -> tuple[list[str], dict[str, str]]:
    """The peers run when none are named: the classical ones and every optional one whose
    library is installed; and the optional ones left out (name -> how to install them)."""
    missing = {name: reason for name, check in OPTIONAL_PEERS.items() if (reason := check())}
    return [*PEERS, *(name for name in OPTIONAL_PEERS if name not in missing)], missing


def bench_recommend(
    movielens: Path, peers: list[str] | None = None, bars: Bars = no_bars
) -> RecommendBench:
    names, skipped = default_peers() if peers is None else (peers, {})
    for name, reason in skipped.items():
        log.warning(f"peer {name} skipped", reason=reason)
    unknown = [p for p in names if p not in MODELS]
    if unknown:
        raise ValueError(f"unknown peer(s) {', '.join(unknown)}: use {', '.join(PEERS)}")
    absent = {p: OPTIONAL_PEERS[p]() for p in names if p in OPTIONAL_PEERS}
    if reasons := [f"{p}: {reason}" for p, reason in absent.items() if reason]:
        raise Unavailable("; ".join(reasons))
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
        skipped=skipped,
    )
