"""`rapport eval ...`: offline evaluation of recommendation and retrieval quality."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rapport.interfaces.cli.common import JsonFlag, fail, run, state
from rapport.interfaces.cli.output import print_json

app = typer.Typer(help="Offline evaluation on the imported data.", no_args_is_help=True)


@app.command("recommend")
def eval_recommend(
    peers: Annotated[
        list[str] | None,
        typer.Option(help="Also evaluate these peers: popularity, itemknn, ease, als, bpr."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Per user, newest 20% held out; train on the rest; NDCG@10, Recall@20, coverage and
    novelty of rapport (and of the named peers) on the held-out part."""
    from rapport.bench.recommend import evaluate_all, print_runs

    engine = run(state.engine)
    data = engine.interactions()
    if len(data) == 0:
        raise fail("no item events to evaluate on")
    runs = run(lambda: evaluate_all(data, peers or []))
    if json_out:
        print_json([{"model": r.name, **r.metrics.as_dict(), "params": r.params} for r in runs])
    else:
        print_runs(runs)


@app.command("retrieval")
def eval_retrieval(
    folder: Annotated[
        Path, typer.Argument(help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/test.tsv.")
    ],
    backend: Annotated[str, typer.Option(help="torch, onnx or onnx-int8 embeddings.")] = "torch",
    json_out: JsonFlag = False,
) -> None:
    """nDCG@10 (graded), Recall@100 and MRR@10 of rapport's retrieval on a BEIR folder."""
    from rapport.bench.retrieval import eval_retrieval as evaluate
    from rapport.bench.retrieval import print_eval
    from rapport.core.config import Settings

    # Corpus vectors are cached in the data directory, so a rerun does not embed again.
    cache = run(lambda: Settings.load(data=state.options.get("data")).data / "cache")
    metrics = run(lambda: evaluate(folder, backend, cache))
    if json_out:
        print_json(vars(metrics))
    else:
        print_eval(metrics)
