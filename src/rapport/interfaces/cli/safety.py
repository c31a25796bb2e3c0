"""Safety commands: `rapport safety ...` (crisis screen) and `rapport escalations ...`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from rapport.engine.schemas import FieldError, InvalidInput
from rapport.interfaces.cli.common import JsonFlag, emit, fail, run, state
from rapport.interfaces.cli.output import console, print_json, progress_bar

safety_app = typer.Typer(help="The crisis screen.", no_args_is_help=True)
escalations_app = typer.Typer(help="Crises handed to humans.", no_args_is_help=True)

BATCH = 256


def register(app: typer.Typer) -> None:
    app.add_typer(safety_app, name="safety")
    app.add_typer(escalations_app, name="escalations")


def _read_records(path: Path) -> list[dict[str, Any]]:
    """`{"id", "text"}` lines; every bad line is reported, and nothing is screened."""
    if not path.is_file():
        raise fail(f"no such file: {path}", 2)
    records: list[dict[str, Any]] = []
    problems: list[FieldError] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(
                    FieldError(
                        record=f"{path.name}:line {number}", field="(line)", message=str(exc)
                    )
                )
                continue
            if not isinstance(record, dict):
                problems.append(
                    FieldError(
                        record=f"{path.name}:line {number}", field="(line)", message="not an object"
                    )
                )
                continue
            records.append(record)
    if problems:
        run(lambda: _reject(problems))
    return records


def _reject(problems: list[FieldError]) -> None:
    raise InvalidInput(problems)


@safety_app.command("screen")
def screen(
    file: Annotated[Path, typer.Argument(help='JSONL file of {"id", "text"} records.')],
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="One JSON line per record, as soon as it is ready.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Screen texts for crises: crisis, category, severity and score per record."""
    records = _read_records(file)
    engine = state.engine()
    results = []
    with progress_bar("screen", len(records)) as advance:
        for start in range(0, len(records), BATCH):
            part = run(lambda s=start: engine.safety.screen_many(records[s : s + BATCH]))  # type: ignore[misc]
            if jsonl:
                for result in part:
                    print_json(result)
            else:
                results.extend(part)
            advance(len(part))
    if jsonl:
        return

    def show() -> None:
        table = Table("id", "crisis", "category", "severity", "score")
        for r in results:
            table.add_row(
                r.id,
                "yes" if r.crisis else "",
                r.category or "",
                r.severity or "",
                f"{r.score:.3f}",
            )
        console.print(table)
        console.print(f"{sum(r.crisis for r in results)} of {len(results)} flagged")

    emit(results, json_out, show)


BackgroundOption = Annotated[
    Path | None,
    typer.Option(
        help="Ordinary non-crisis texts to train on as none (JSONL with a `text` field), e.g. "
        "a platform's own everyday posts; off by default (web passages did not help)."
    ),
]


WordsOption = Annotated[
    str | None,
    typer.Option(
        help="Fuse a word view (tf-idf + logistic regression) with the sentence vectors' "
        "classifier: `mean` or `geometric` of their probabilities; off by default (round 6: "
        "it did not lower the flags on unseen forums beyond noise)."
    ),
]


def check_words(words: str | None) -> None:
    if words not in (None, "mean", "geometric"):
        raise fail("--words must be mean or geometric", 2)


@safety_app.command("train")
def train(
    forums: Annotated[
        Path, typer.Option(help="Forum posts JSONL (id, text, subreddit), e.g. crisis-dev.")
    ] = Path("../shared/data/crisis-dev/reddit27-dev.jsonl"),
    output: Annotated[
        Path | None, typer.Option(help="Where to write the weights (default: the package's).")
    ] = None,
    background: BackgroundOption = None,
    words: WordsOption = None,
) -> None:
    """Train the crisis classifier on forum posts and the training half of the statement
    pairs (plus `--background` texts as none), with the configured embedding model;
    deterministic."""
    from rapport.bench.safety import train_weights

    check_words(words)
    for path in (forums, *((background,) if background else ())):
        if not path.is_file():
            raise fail(f"no such file: {path}", 2)
    settings = state.engine().settings
    written = run(lambda: train_weights(settings, forums, output, background, words))  # type: ignore[arg-type]
    console.print(f"weights written to {written}")


@escalations_app.command("list")
def escalations_list(
    status: Annotated[
        str | None, typer.Option(help="Only this status: open, acknowledged, resolved.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    json_out: JsonFlag = False,
) -> None:
    """Escalations of the tenant, newest first."""
    if status not in (None, "open", "acknowledged", "resolved"):
        raise fail("status must be open, acknowledged or resolved", 2)
    page = run(
        lambda: state.engine().escalations.list(
            status=status,  # type: ignore[arg-type]
            limit=limit,
            offset=offset,
        )
    )

    def show() -> None:
        table = Table(
            "id", "created", "status", "category", "severity", "source", "user", "excerpt"
        )
        for e in page.items:
            table.add_row(
                e.id,
                e.created_at.strftime("%Y-%m-%d %H:%M"),
                e.status,
                e.category,
                e.severity,
                e.source,
                e.user_id or "",
                e.excerpt[:60],
            )
        console.print(table)
        console.print(f"{len(page.items)} of {page.total}")

    emit(page, json_out, show)


NoteOption = Annotated[str, typer.Option(help="What was done, for the record.")]


@escalations_app.command("ack")
def escalations_ack(
    escalation_id: Annotated[str, typer.Argument(help="The escalation id.")],
    note: NoteOption = "",
    json_out: JsonFlag = False,
) -> None:
    """Acknowledge: a human has seen it and is on it."""
    escalation = run(lambda: state.engine().escalations.ack(escalation_id, note=note))
    emit(escalation, json_out, lambda: console.print(f"{escalation.id}: {escalation.status}"))


@escalations_app.command("resolve")
def escalations_resolve(
    escalation_id: Annotated[str, typer.Argument(help="The escalation id.")],
    note: NoteOption = "",
    json_out: JsonFlag = False,
) -> None:
    """Resolve: done (final)."""
    escalation = run(lambda: state.engine().escalations.resolve(escalation_id, note=note))
    emit(escalation, json_out, lambda: console.print(f"{escalation.id}: {escalation.status}"))
