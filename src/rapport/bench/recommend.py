"""`rapport bench recommend` / `rapport eval recommend`: one split, peers and rapport."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from rich.table import Table

from rapport.bench.datasets import movielens_events
from rapport.core.models import Event, to_utc
from rapport.interfaces.cli.output import console, progress_bar
from rapport.services.recommend.interactions import Interactions
from rapport.services.recommend.peers import GRIDS, Run, run_rapport, tune_peer

PEERS = ["popularity", "itemknn", "bpr", "als", "ease"]


def load_movielens(folder: Path) -> Interactions:
    events = [
        Event.model_construct(**{**row, "timestamp": to_utc(row["timestamp"])})
        for row in movielens_events(folder)
    ]
    return Interactions.from_events(events)


def evaluate_all(data: Interactions, peers: list[str]) -> list[Run]:
    """Split by time, tune and evaluate each peer and rapport on the same split."""
    unknown = [p for p in peers if p not in GRIDS]
    if unknown:
        raise ValueError(f"unknown peer(s) {', '.join(unknown)}: use {', '.join(GRIDS)}")
    train_part, test = data.split_by_time()
    runs = []
    # Training tries an unknown number of configurations: the bar counts, without a total.
    with progress_bar("evaluate (peer grid points, rapport configurations)", None) as advance:
        for name in peers:
            runs.append(tune_peer(name, train_part, test, advance))
        runs.append(run_rapport(train_part, test, progress=advance))
    return runs


def print_runs(runs: list[Run]) -> None:
    peers = [r for r in runs if r.name != "rapport"]
    best = max((r.metrics.ndcg_at_10 for r in peers), default=None)
    table = Table("model", "NDCG@10", "Recall@20", "coverage", "novelty", "fit s", "vs best peer")
    for r in runs:
        m = r.metrics
        ratio = f"{m.ndcg_at_10 / best:.3f}x" if best else "-"
        table.add_row(
            r.name,
            f"{m.ndcg_at_10:.4f}",
            f"{m.recall_at_20:.4f}",
            f"{m.coverage:.3f}",
            f"{m.novelty:.2f}",
            f"{r.fit_seconds:.1f}",
            ratio,
        )
    console.print(table)
    console.print(f"evaluated users: {runs[-1].metrics.users}")


def bench_recommend(movielens: Path, peers: list[str] | None = None) -> list[Run]:
    started = time.perf_counter()
    data = load_movielens(movielens)
    runs = evaluate_all(data, PEERS if peers is None else peers)
    console.print(
        f"data: {len(data)} interactions, {len(data.user_ids)} users, "
        f"{len(data.item_ids)} items; total {time.perf_counter() - started:.0f} s"
    )
    return runs


def ratios(runs: list[Run]) -> dict[str, float]:
    best = max(r.metrics.ndcg_at_10 for r in runs if r.name != "rapport")
    return {r.name: float(np.round(r.metrics.ndcg_at_10 / best, 4)) for r in runs}
