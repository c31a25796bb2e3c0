"""Tables for evaluation and benchmark results."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def comparison_table(comparison: Any) -> Table:
    """Recommendation runs side by side, with the ratio of each to the best peer."""
    runs = comparison.runs
    table = Table(
        "model",
        "NDCG@10",
        "Recall@20",
        "coverage",
        "novelty",
        "tune s",
        "fit s",
        "validation folds",
        "vs best peer",
        "90% interval",
        caption=(
            f"evaluated users: {runs[-1].metrics.users}; users with fewer than 10 items: "
            + ", ".join(f"{r.model} {r.metrics.short_lists}" for r in runs)
        )
        if runs
        else None,
    )
    for r in runs:
        m = r.metrics
        table.add_row(
            r.model,
            f"{m.ndcg_at_10:.4f}",
            f"{m.recall_at_20:.4f}",
            f"{m.coverage:.3f}",
            f"{m.novelty:.2f}",
            f"{r.tune_seconds:.1f}",
            f"{r.fit_seconds:.1f}",
            " / ".join(f"{fold:.4f}" for fold in r.fold_ndcg),
            f"{comparison.ratios[r.model]:.3f}x",
            _interval(comparison.intervals.get(r.model)),
        )
    return table


def _interval(bounds: list[float] | None) -> str:
    return f"{bounds[0]:.3f}-{bounds[1]:.3f}" if bounds else "-"


def metrics_table(metrics: Any) -> Table:
    table = Table("metric", "rapport hybrid-PRF", title=f"{metrics.queries} judged queries")
    table.add_row("nDCG@10 (gain 2^grade-1)", f"{metrics.ndcg_at_10:.4f}")
    table.add_row("nDCG@10 (linear gain)", f"{metrics.ndcg_at_10_linear:.4f}")
    table.add_row("Recall@100", f"{metrics.recall_at_100:.4f}")
    table.add_row("MRR@10", f"{metrics.mrr_at_10:.4f}")
    return table


def retrieval_table(bench: Any) -> Table:
    peers = [run.name for run in bench.runs if run.peer]
    short = {name: name.removeprefix("peer: ").split(" ")[0] for name in peers}
    table = Table(
        "method",
        "nDCG@10",
        "Recall@100",
        "MRR@10",
        "ms/query",
        *[f"vs {short[name]}" for name in peers],
        "vs best peer, 90% interval",
        title=f"{bench.dataset}: {bench.documents} documents, {bench.queries} judged queries "
        f"({bench.query_set}), vectors: {bench.backend}",
        caption="nDCG@10 uses exponential gain 2^grade-1 (reproduces the published reference "
        "numbers; --json also gives the linear gain). ms/query excludes query embedding. The "
        "interval is a paired bootstrap over the judged queries.",
    )
    for run in bench.runs:
        m = run.metrics
        table.add_row(
            run.name,
            f"{m.ndcg_at_10:.4f}",
            f"{m.recall_at_100:.4f}",
            f"{m.mrr_at_10:.4f}",
            f"{run.ms_per_query:.2f}",
            *[f"{run.ratios[name]:.3f}x" for name in peers],
            "-".join(f"{bound:.3f}" for bound in run.interval_to_best_peer),
        )
    return table


def choice_lines(choice: Any) -> list[str]:
    """How the settings were chosen, one line per candidate."""
    lines = [
        f"settings chosen on {choice.pseudo_queries} pseudo-queries in {choice.seconds:.1f} s: "
        f"{choice.label} ({choice.reason})"
    ]
    for candidate in choice.candidates:
        mark = "accepted" if candidate.accepted else "rejected"
        topical = candidate.topical_ndcg_at_10
        known = f"  {candidate.settings.label():40s} known-item nDCG@10 {candidate.ndcg_at_10:.4f}"
        if topical is None:
            lines.append(
                f"{known} ({candidate.versus_dense:+.4f} vs plain dense, "
                f"SE {candidate.standard_error:.4f}) {mark}"
            )
        else:  # a smoothing: its standard error is that of the topical difference
            lines.append(
                f"{known} ({candidate.versus_dense:+.4f} vs plain dense), topical nDCG@10 "
                f"{topical:.4f} ({candidate.versus_unsmoothed or 0.0:+.4f} vs unsmoothed, "
                f"SE {candidate.standard_error:.4f}) {mark}"
            )
    return lines


def hindsight_lines(runs: list[Any]) -> list[str]:
    """Every setting the choice weighed, on the judged queries, best first."""
    if not runs:
        return []
    lines = ["in hindsight, on the judged queries (nDCG@10, ratio to the best peer):"]
    for run in runs:
        mark = " (chosen)" if run.chosen else ""
        lines.append(f"  {run.ndcg_at_10:.4f} {run.ratio_to_best_peer:.3f}x  {run.label}{mark}")
    return lines


def latency_line(latency: Any, backend: str) -> str:
    return (
        f"hybrid-PRF latency over {latency.chunks:,} chunks, {latency.requests} requests, "
        f"{backend} query embedding included: p50 {latency.p50_ms:.1f} ms, "
        f"p95 {latency.p95_ms:.1f} ms, p99 {latency.p99_ms:.1f} ms "
        f"(embedding p50 {latency.embed_p50_ms:.1f} ms, p99 {latency.embed_p99_ms:.1f} ms)"
    )


def embed_table(runs: list[Any], threads: int, batch: int) -> Table:
    torch_run = runs[0]
    table = Table(
        "back end",
        "vector name",
        "passages/s",
        "speed vs torch",
        "cos to torch",
        "dense nDCG@10",
        "nDCG change",
        title=f"{torch_run.passages} passages, {threads} threads, batch {batch}, turns alternate",
    )
    for run in runs:
        ndcg = change = "-"
        if run.ndcg_at_10 is not None and torch_run.ndcg_at_10:
            ndcg = f"{run.ndcg_at_10:.4f}"
            change = f"{(run.ndcg_at_10 / torch_run.ndcg_at_10 - 1) * 100:+.1f}%"
        table.add_row(
            run.backend,
            run.name,
            f"{run.per_second:.1f}",
            f"{run.per_second / torch_run.per_second:.2f}x",
            f"{run.cosine_to_torch:.4f}",
            ndcg,
            change,
        )
    return table


def ann_table(result: Any) -> Table:
    """ANN runs with their recall and latency next to exact search's."""
    table = Table(
        "library",
        "build",
        "search",
        "build s",
        "size MB",
        "recall@10 item",
        "recall@10 user",
        "p50 ms",
        "p99 ms",
        "p99 vs exact",
        caption=(
            f"{result.vectors:,} vectors x {result.dim}, {result.queries} queries per set; "
            f"peer exact search p50 {result.exact_p50_ms:.2f} ms, p99 {result.exact_p99_ms:.2f} ms"
            + (f"; not installed: {', '.join(result.missing)}" if result.missing else "")
        ),
    )
    for r in result.runs:
        table.add_row(
            r.library,
            r.build,
            r.search,
            f"{r.build_seconds:.1f}",
            f"{r.size_mb:.0f}",
            f"{r.item_recall_at_10:.3f}",
            f"{r.user_recall_at_10:.3f}",
            f"{r.p50_ms:.3f}",
            f"{r.p99_ms:.3f}",
            f"{r.p99_ms / result.exact_p99_ms:.3f}x",
        )
    return table


def scale_tables(result: Any) -> list[Any]:
    """The phases (time, peak memory) and the latencies with their ratio to the peers."""
    phases = Table(
        "phase",
        "seconds",
        "peak MB",
        "note",
        title=f"{result.items:,} items, {result.events:,} events, {result.users:,} users "
        f"(seed {result.seed}); vectors: {result.vectors}; index: {result.index}",
    )
    for p in result.phases:
        phases.add_row(p.name, f"{p.seconds:,.1f}", f"{p.peak_mb:,.0f}", p.note)
    peers = {t.name: t for t in result.timings if t.name.startswith("peer:")}
    model = peers.get("peer: model scoring + top-10 (numpy)")
    exact = peers.get("peer: exact search + top-10 (numpy)")
    timings = Table("measurement", "requests", "p50 ms", "p99 ms", "p99 vs peer")
    for t in result.timings:
        peer = exact if "similar" in t.name or t is exact else model
        ratio = f"{t.p99_ms / peer.p99_ms:.1f}x" if peer is not None else ""
        timings.add_row(t.name, str(t.requests), f"{t.p50_ms:.2f}", f"{t.p99_ms:.2f}", ratio)
    recall = (
        f"recall@10 of similar against exact search: {result.recall_at_10:.3f} "
        f"({result.recall_queries} items); peak memory {result.peak_mb:,.0f} MB; "
        f"training: {result.training}"
        + (f"; failures: {'; '.join(result.failures)}" if result.failures else "")
    )
    return [phases, timings, recall]
