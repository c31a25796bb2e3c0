"""Knowledge commands: `rapport kb ...` and `rapport ask`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rapport.core.requests import MAX_OFFSET
from rapport.interfaces.cli.common import JsonFlag, emit, fail, run, state
from rapport.interfaces.cli.output import console, counts, progress_bar, stream_jsonl

kb_app = typer.Typer(
    help="The tenant's knowledge base: documents for grounded answers.", no_args_is_help=True
)


@kb_app.command("add")
def kb_add(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders (.txt .md .html .pdf .docx .jsonl).")
    ],
    json_out: JsonFlag = False,
) -> None:
    """Add documents; unchanged ones are skipped and changed ones re-chunked."""
    engine = state.engine()
    with progress_bar("add documents", None) as advance:
        report = run(lambda: engine.kb.add(paths, progress=advance))
    emit(
        report,
        json_out,
        lambda: console.print(
            f"{report.added} added, {report.updated} updated, {report.unchanged} "
            f"unchanged; {report.chunks} chunks, {report.embedded} embedded; "
            f"retrieval: {report.retrieval}"
        ),
    )


@kb_app.command("index")
def kb_index() -> None:
    """Embed the chunks an interrupted `kb add` left without vectors."""
    embedded = run(lambda: state.engine().kb.index())
    console.print(f"{embedded} chunks embedded")


@kb_app.command("stats")
def kb_stats(json_out: JsonFlag = False) -> None:
    """What the knowledge base holds and the retrieval settings chosen for its corpus."""
    stats = run(lambda: state.engine().kb.stats())

    def show() -> None:
        console.print(
            f"{stats.documents} documents, {stats.chunks} chunks ({stats.model}); "
            f"retrieval: {stats.label}"
        )
        choice = stats.retrieval
        if choice is None:
            return
        console.print(f"  {choice.reason}", markup=False)
        if not choice.candidates:
            return
        table = Table(
            "setting",
            "known-item nDCG@10",
            "vs plain dense",
            "SE",
            "topical nDCG@10 (vs unsmoothed)",
            "accepted",
            caption=(
                f"{choice.pseudo_queries} pseudo-queries and {choice.topical_queries} topical "
                f"ones over {choice.chunks} chunks, "
                f"tolerance {choice.tolerance:.0%}, {choice.seconds:.1f} s"
            ),
        )
        for candidate in choice.candidates:
            table.add_row(
                candidate.settings.label(),
                f"{candidate.ndcg_at_10:.4f}",
                f"{candidate.versus_dense:+.4f}",
                f"{candidate.standard_error:.4f}",
                _topical(candidate.topical_ndcg_at_10, candidate.versus_unsmoothed),
                "yes" if candidate.accepted else "no",
            )
        console.print(table)

    emit(stats, json_out, show)


def _topical(ndcg: float | None, versus: float | None) -> str:
    return "" if ndcg is None else f"{ndcg:.4f} ({versus or 0.0:+.4f})"


@kb_app.command("list")
def kb_list(
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option(min=0, max=MAX_OFFSET)] = 0,
    json_out: JsonFlag = False,
) -> None:
    """Documents in the knowledge base, by id."""
    page = run(lambda: state.engine().kb.list(limit=limit, offset=offset))

    def show() -> None:
        table = Table("id", "title", "chunks", "characters")
        for doc in page.items:
            table.add_row(doc.id, doc.title, str(doc.chunks), str(doc.characters))
        console.print(table, f"{page.total} documents")

    emit(page, json_out, show)


@kb_app.command("get")
def kb_get(document_id: str, json_out: JsonFlag = False) -> None:
    """One document with its text."""
    document = run(lambda: state.engine().kb.get(document_id))
    emit(document, json_out, lambda: console.print(document.title, document.text, sep="\n\n"))


@kb_app.command("remove")
def kb_remove(document_id: str, json_out: JsonFlag = False) -> None:
    """Remove a document with its chunks and vectors."""
    removed = run(lambda: state.engine().kb.remove(document_id))
    emit(removed, json_out, lambda: console.print(counts(removed.deleted, "removed")))


def _queries(path: Path) -> list[tuple[str, str]]:
    queries = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            queries.append((str(record["id"]), str(record["text"])))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise fail(f"{path.name}:line {number}: needs 'id' and 'text' ({exc})", 2) from exc
    return queries


@kb_app.command("search")
def kb_search(
    query: Annotated[str | None, typer.Argument(help="What to look for.")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="Documents per query.")] = 5,
    queries_file: Annotated[
        Path | None, typer.Option(help='JSONL of {"id", "text"} queries, answered in one run.')
    ] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON line per query.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Search the knowledge base: the best documents, each with its best chunk."""
    if (query is None) == (queries_file is None):
        raise fail("give either QUERY or --queries-file", 2)
    engine = state.engine()
    if queries_file is not None:
        if not queries_file.is_file():
            raise fail(f"no such file: {queries_file}", 2)
        stream_jsonl(
            "search",
            _queries(queries_file),
            lambda q: {"query_id": q[0], **run(lambda: engine.kb.search(q[1], k)).model_dump()},
        )
        return
    assert query is not None
    found = run(lambda: engine.kb.search(query, k))

    def show() -> None:
        table = Table("document", "score", "best chunk")
        for hit in found.hits:
            table.add_row(hit.doc_id, f"{hit.score:.3f}", hit.chunk[:160])
        console.print(table)

    emit(found, json_out or jsonl, show)


def ask(
    question: str,
    user_id: Annotated[
        str | None, typer.Option("--user", help="Asking user (respects their AI opt-out).")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Answer a question from the knowledge base, with citations."""
    answer = run(lambda: state.engine().kb.ask(question, user_id=user_id))

    def show() -> None:
        console.print(answer.answer, markup=False)
        for c in answer.citations:
            console.print(
                f"  [{c.number}] {c.title or c.document_id}: \u201c{c.quote[:160]}\u201d",
                markup=False,
                highlight=False,
            )
        for claim in answer.unsupported:
            console.print(f"  not supported by the sources: {claim}", markup=False)

    emit(answer, json_out, show)


def register(app: typer.Typer) -> None:
    app.add_typer(kb_app, name="kb")
    app.command()(ask)
