"""`rapport eval ...`: offline evaluation of recommendation and retrieval quality."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rapport.interfaces.cli.common import JsonFlag, emit, run, state
from rapport.interfaces.cli.output import console, progress_bar
from rapport.interfaces.cli.tables import comparison_table, metrics_table

app = typer.Typer(help="Offline evaluation on your own data.", no_args_is_help=True)


@app.command("recommend")
def eval_recommend(
    peers: Annotated[
        list[str] | None,
        typer.Option(help="Also evaluate these peers: popularity, itemknn, ease, als, bpr."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Per user, newest 20% held out; train on the rest; NDCG@10, Recall@20, coverage and
    novelty of rapport (and of the named peers, each tuned the same way) on the held-out
    part."""
    engine = state.engine()
    with progress_bar("evaluate (configurations tried)", None) as advance:
        comparison = run(lambda: engine.models.evaluate(peers or [], progress=advance))
    emit(comparison, json_out, lambda: console.print(comparison_table(comparison)))


@app.command("retrieval")
def eval_retrieval(
    folder: Annotated[
        Path,
        typer.Argument(
            help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/test.tsv (or dev.tsv)."
        ),
    ],
    backend: Annotated[
        str, typer.Option(help="torch, onnx-fp32 or onnx-int8 embeddings.")
    ] = "torch",
    json_out: JsonFlag = False,
) -> None:
    """nDCG@10 (graded), Recall@100 and MRR@10 of rapport's retrieval on a BEIR folder."""
    from rapport.bench.retrieval import eval_retrieval as evaluate
    from rapport.core.config import Settings

    # Corpus vectors are cached in the data directory, so a rerun does not embed again.
    cache = run(lambda: Settings.load(data=state.options.get("data")).data / "cache")
    metrics = run(lambda: evaluate(folder, backend, cache, progress_bar))
    emit(metrics, json_out, lambda: console.print(metrics_table(metrics)))
