"""`rapport bench ...`: benchmarks on real data, printed with ratios to their peers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rapport.interfaces.cli.output import console, print_json

app = typer.Typer(help="Benchmarks on real data, side by side with peers.", no_args_is_help=True)

DEFAULT_MOVIELENS = Path("../shared/data/movielens-small")


@app.command()
def ingest(
    movielens: Annotated[Path, typer.Option(help="MovieLens folder (ratings.csv).")] = (
        DEFAULT_MOVIELENS
    ),
    limit: Annotated[int, typer.Option(help="How many ratings to import.")] = 100_000,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import MovieLens ratings as a JSONL event file twice into a fresh embedded store."""
    from rapport.bench.ingest import bench_ingest

    result = bench_ingest(movielens, limit)
    if json_out:
        print_json({**vars(result), "ratio_to_baseline": result.ratio_to_baseline})
        return
    table = Table("run", "events", "seconds", "events/s", "stored after")
    table.add_row(
        "rapport import (first)",
        str(result.events),
        f"{result.rapport_seconds:.2f}",
        f"{result.events / result.rapport_seconds:,.0f}",
        str(result.counts_after_first),
    )
    table.add_row(
        "rapport import (same file again)",
        str(result.events),
        f"{result.rapport_repeat_seconds:.2f}",
        f"{result.events / result.rapport_repeat_seconds:,.0f}",
        str(result.counts_after_repeat),
    )
    table.add_row(
        "peer: bare sqlite3 executemany",
        str(result.events),
        f"{result.baseline_seconds:.2f}",
        f"{result.events / result.baseline_seconds:,.0f}",
        "",
    )
    console.print(table)
    console.print(f"rapport / bare sqlite3 time ratio: {result.ratio_to_baseline:.2f}x")


@app.command()
def recommend(
    movielens: Annotated[Path, typer.Option(help="MovieLens folder (ratings.csv).")] = (
        DEFAULT_MOVIELENS
    ),
    peers: Annotated[
        list[str] | None,
        typer.Option(help="Peers to run (default: popularity, itemknn, bpr, als, ease)."),
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Write a bar chart (PNG) here.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Time split of MovieLens; tuned peers and rapport's trained recommender on the same
    split; NDCG@10, Recall@20, coverage, novelty and the ratio to the best peer."""
    from rapport.bench.recommend import bench_recommend, print_runs, ratios

    runs = bench_recommend(movielens, peers)
    if json_out:
        ratio = ratios(runs)
        print_json(
            [
                {
                    "model": r.name,
                    **r.metrics.as_dict(),
                    "fit_seconds": r.fit_seconds,
                    "ratio_to_best_peer": ratio[r.name],
                    "params": r.params,
                }
                for r in runs
            ]
        )
    else:
        print_runs(runs)
    if plot is not None:
        from rapport.bench.plots import bar_chart

        bar_chart({r.name: r.metrics.ndcg_at_10 for r in runs}, "NDCG@10 on MovieLens", plot)


@app.command()
def latency(
    movielens: Annotated[Path, typer.Option(help="MovieLens folder.")] = DEFAULT_MOVIELENS,
    requests: Annotated[int, typer.Option(help="Requests per measurement.")] = 1000,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """p50/p99 latency of one recommendation (k=10) in process and over REST."""
    from rapport.bench.latency import bench_latency

    timings, info = bench_latency(movielens, requests)
    if json_out:
        print_json({"timings": [vars(t) for t in timings], **info})
        return
    peer = timings[0].p99_ms
    table = Table("measurement", "requests", "p50 ms", "p99 ms", "p99 vs peer")
    for t in timings:
        table.add_row(
            t.name, str(t.requests), f"{t.p50_ms:.2f}", f"{t.p99_ms:.2f}", f"{t.p99_ms / peer:.1f}x"
        )
    console.print(table)
    console.print(f"catalogue: {info['items']} items; training took {info['train_seconds']} s")


@app.command()
def retrieval(
    folder: Annotated[
        Path, typer.Argument(help="BEIR folder (corpus.jsonl, queries.jsonl, qrels).")
    ],
    backend: Annotated[
        str, typer.Option(help="Corpus and query vectors: torch, onnx or onnx-int8.")
    ] = "torch",
    cache_dir: Annotated[
        Path | None, typer.Option(help="Vector and ONNX cache (default <data>/cache).")
    ] = None,
    latency: Annotated[
        bool, typer.Option(help="Also time queries over 10,000 chunks (ONNX int8 query).")
    ] = True,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """BM25, dense, RRF and rapport hybrid-PRF from one index: nDCG@10, Recall@100, MRR@10
    and the ratio to the best peer."""
    from rapport.bench.retrieval import bench_retrieval, print_retrieval, ratios

    result = bench_retrieval(folder, backend, cache_dir, latency)
    if json_out:
        ratio = ratios(result.runs)
        print_json(
            {
                "dataset": result.dataset,
                "documents": result.documents,
                "queries": result.queries,
                "backend": result.backend,
                "runs": [
                    {
                        **vars(r.metrics),
                        "name": r.name,
                        "peer": r.peer,
                        "ms_per_query": r.ms_per_query,
                        "ratio_to_best_peer": ratio[r.name],
                    }
                    for r in result.runs
                ],
                "latency": vars(result.latency) if result.latency else None,
            }
        )
        return
    print_retrieval(result)


@app.command()
def embed(
    folder: Annotated[Path, typer.Argument(help="BEIR folder whose passages are embedded.")],
    passages: Annotated[int, typer.Option(help="Passages each back end embeds.")] = 1000,
    cache_dir: Annotated[
        Path | None, typer.Option(help="Vector and ONNX cache (default <data>/cache).")
    ] = None,
    quality: Annotated[
        bool, typer.Option(help="Also embed the whole corpus per back end for dense nDCG@10.")
    ] = True,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Passages/s of MiniLM on torch, ONNX fp32 and ONNX int8 on the same passages, in
    alternating turns, with each back end's dense nDCG@10."""
    from rapport.bench.embed import bench_embed, print_embed

    runs = bench_embed(folder, passages, cache_dir=cache_dir, quality=quality)
    if json_out:
        print_json([{**vars(r), "per_second": r.per_second} for r in runs])
        return
    print_embed(runs)
