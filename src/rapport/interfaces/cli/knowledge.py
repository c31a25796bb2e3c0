"""Search and knowledge commands: `rapport search`, `rapport kb ...` and `rapport ask`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from rapport.interfaces.cli.common import JsonFlag, fail, run, state
from rapport.interfaces.cli.output import console, print_json, progress_bar, stream_jsonl

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
    engine = run(state.engine)
    with progress_bar("add documents", None) as advance:
        report = run(lambda: engine.kb_add(paths, progress=advance))
    if json_out:
        print_json(report.as_dict())
    else:
        console.print(
            f"{report.added} added, {report.updated} updated, {report.unchanged} "
            f"unchanged; {report.chunks} chunks, {report.embedded} embedded"
        )


@kb_app.command("list")
def kb_list(
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    json_out: JsonFlag = False,
) -> None:
    """Documents in the knowledge base, by id."""
    engine = run(state.engine)
    page = run(lambda: engine.kb_list(limit=limit, offset=offset))
    if json_out:
        print_json(page.model_dump(mode="json"))
        return
    table = Table("id", "title", "chunks", "characters")
    for doc in page.items:
        table.add_row(doc.id, doc.title, str(doc.chunks), str(doc.characters))
    console.print(table)
    console.print(f"{page.total} documents")


@kb_app.command("remove")
def kb_remove(document_id: str, json_out: JsonFlag = False) -> None:
    """Remove a document with its chunks and vectors."""
    engine = run(state.engine)
    removed = run(lambda: engine.kb_remove(document_id))
    if json_out:
        print_json(removed)
    else:
        console.print(", ".join(f"{n} {what}" for what, n in removed.items()) + " removed")


def _hits(found: list[Any]) -> list[dict[str, Any]]:
    return [{"doc_id": h.document_id, "score": h.score, "chunk": h.chunk.text} for h in found]


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
    engine = run(state.engine)
    if queries_file is not None:
        if not queries_file.is_file():
            raise fail(f"no such file: {queries_file}", 2)
        queries = []
        for number, line in enumerate(queries_file.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                queries.append((str(record["id"]), str(record["text"])))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise fail(
                    f"{queries_file.name}:line {number}: needs 'id' and 'text' ({exc})", 2
                ) from exc
        stream_jsonl(
            "search",
            queries,
            lambda query: {
                "query_id": query[0],
                "hits": _hits(run(lambda: engine.kb_search(query[1], k))),
            },
        )
        return
    found = run(lambda: engine.kb_search(query, k))
    if json_out or jsonl:
        print_json({"query": query, "hits": _hits(found)})
        return
    table = Table("document", "score", "best chunk")
    for hit in found:
        table.add_row(hit.document_id, f"{hit.score:.3f}", hit.chunk.text[:160])
    console.print(table)


def ask(
    question: str,
    user_id: Annotated[
        str | None, typer.Option("--user", help="Asking user (respects their AI opt-out).")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Answer a question from the knowledge base, with citations."""
    engine = run(state.engine)
    answer = run(lambda: engine.ask(question, user_id=user_id))
    if json_out:
        print_json(
            {
                "question": answer.question,
                "answer": answer.text,
                "mode": answer.mode,
                "citations": [vars(c) for c in answer.citations],
                "unsupported": answer.unsupported,
                "ignored": answer.ignored,
            }
        )
        return
    console.print(answer.text)
    for citation in answer.citations:
        console.print(
            f"  [{citation.number}] {citation.title or citation.document_id}: "
            f"\u201c{citation.quote[:160]}\u201d",
            highlight=False,
        )
    for claim in answer.unsupported:
        console.print(f"  [yellow]not supported by the sources:[/yellow] {claim}")


def search(
    query: str,
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="How many items.")] = 10,
    user_id: Annotated[str | None, typer.Option("--user", help="Personalise for this user.")] = (
        None
    ),
    lat: Annotated[float | None, typer.Option(help="Searcher's latitude.")] = None,
    lon: Annotated[float | None, typer.Option(help="Searcher's longitude.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Search items in plain language ("vegan food offers near me tonight under 20")."""
    from rapport.services.search.items import SearchRequest

    engine = run(state.engine)
    place = {"lat": lat, "lon": lon} if lat is not None and lon is not None else None
    request = run(
        lambda: SearchRequest.model_validate(
            {"q": query, "k": k, "user_id": user_id, "location": place}
        )
    )
    result = run(lambda: engine.search(request))
    if json_out:
        print_json(
            {
                "query": result.query.model_dump(mode="json"),
                "notes": result.notes,
                "hits": [
                    {"item_id": h.item.id, "score": h.score, "reasons": h.reasons}
                    for h in result.hits
                ],
            }
        )
        return
    understood = ", ".join(result.query.understood) or "-"
    console.print(f"matching '{result.query.text}'; understood: {understood}")
    for note in result.notes:
        console.print(f"[yellow]{note}[/yellow]")
    table = Table("item", "kind", "title", "price", "score", "reasons")
    for hit in result.hits:
        price = "" if hit.item.price is None else f"{hit.item.price:g}"
        table.add_row(
            hit.item.id,
            hit.item.kind,
            hit.item.title,
            price,
            f"{hit.score:.3f}",
            "; ".join(hit.reasons),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(kb_app, name="kb")
    app.command()(ask)
    app.command()(search)
