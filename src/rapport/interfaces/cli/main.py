"""`rapport` command: the same operations as the Python library and the REST API."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rapport.core.logging import configure_logging
from rapport.interfaces.cli import bench, evaluate, knowledge, recommend
from rapport.interfaces.cli.common import JsonFlag, fail, run, state
from rapport.interfaces.cli.output import console, errors, print_json, progress_bar

app = typer.Typer(
    name="rapport",
    help="Self-hosted personalization engine: know, match, answer, act, nudge.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

app.add_typer(bench.app, name="bench")
app.add_typer(evaluate.app, name="eval")
recommend.register(app)
knowledge.register(app)


@app.callback()
def main(
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Data directory (env RAPPORT_DATA, default ./rapport-data)."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="Database URL, e.g. postgresql://... (env RAPPORT_DATABASE_URL)."
        ),
    ] = None,
    tenant: Annotated[
        str | None,
        typer.Option("--tenant", help="Tenant to act on (env RAPPORT_TENANT, default 'default')."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False,
) -> None:
    # Progress bars tell people what happens; structured logs only when asked for.
    level = "info" if verbose else "warning"
    configure_logging(level)  # before any command logs: keeps stdout for results
    state.options = {"data": data, "database_url": db, "tenant": tenant, "log_level": level}


@app.command()
def init() -> None:
    """Create the data directory and database (or migrate it to the current schema)."""
    engine = run(state.engine)
    console.print(f"ready: {engine.store.dialect} at {engine.settings.sqlalchemy_url}")


@app.command("import")
def import_(
    kind: Annotated[str, typer.Argument(help="items, users or events")],
    file: Annotated[Path, typer.Argument(help="JSONL or CSV file with a header")],
    skip_invalid: Annotated[
        bool, typer.Option(help="Write the valid records and report the invalid ones.")
    ] = False,
    index: Annotated[bool, typer.Option(help="Embed imported items right away.")] = True,
    json_out: JsonFlag = False,
) -> None:
    """Import records from a file. A bad record rejects the file unless --skip-invalid."""
    if kind not in ("items", "users", "events"):
        raise fail(f"unknown kind '{kind}': use items, users or events", 2)
    if not file.is_file():
        raise fail(f"no such file: {file}", 2)
    engine = run(state.engine)
    lines = sum(1 for line in file.open("rb") if line.strip())
    total = lines * (2 if kind == "items" and index else 1)
    with progress_bar(f"import {kind}", total) as advance:
        report = run(
            lambda: engine.import_file(
                kind, file, skip_invalid=skip_invalid, index=index, progress=advance
            )
        )
    if json_out:
        print_json(report.as_dict())
    else:
        console.print(
            f"{report.written} {kind} written, {report.duplicates} duplicates, "
            f"{len(report.invalid)} invalid"
        )
    for error in report.invalid[:20]:
        errors.print(f"[yellow]skipped:[/yellow] {error}", highlight=False)


@app.command()
def index() -> None:
    """Embed every item whose text changed since it was last embedded."""
    engine = run(state.engine)
    total = engine.stats(tenant=engine.tenant()).get(engine.tenant(), {}).get("items", 0)
    with progress_bar("embed items", total) as advance:
        count = run(lambda: engine.index_items(progress=advance))
    console.print(f"{count} items embedded")


@app.command()
def stats(json_out: JsonFlag = False) -> None:
    """Counts of users, items (per kind) and events per tenant."""
    engine = run(state.engine)
    tenant = state.options.get("tenant")
    counts = run(lambda: engine.stats(tenant=tenant))
    if json_out:
        print_json(counts)
        return
    table = Table("tenant", "users", "items", "items by kind", "events")
    for name, row in counts.items():
        kinds = ", ".join(f"{k}: {v}" for k, v in row["items_by_kind"].items())
        table.add_row(name, str(row["users"]), str(row["items"]), kinds, str(row["events"]))
    console.print(table)


@app.command()
def similar(
    item_id: str,
    k: Annotated[int, typer.Option("--k", min=1, max=200, help="How many.")] = 10,
    kind: Annotated[str | None, typer.Option(help="Only items of this kind.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Items most similar to ITEM_ID by text embedding."""
    from rapport.core.store.repository import ItemQuery

    engine = run(state.engine)
    hits = run(lambda: engine.similar_items(item_id, k, ItemQuery(kind=kind)))
    if json_out:
        print_json(
            [
                {"item_id": h.item.id, "score": h.score, "title": h.item.title, "kind": h.item.kind}
                for h in hits
            ]
        )
        return
    table = Table("item", "kind", "title", "score")
    for hit in hits:
        table.add_row(hit.item.id, hit.item.kind, hit.item.title, f"{hit.score:.3f}")
    console.print(table)


@app.command("delete-user")
def delete_user(user_id: str, json_out: JsonFlag = False) -> None:
    """Delete a user with their events and vectors (delete-my-data)."""
    engine = run(state.engine)
    removed = run(lambda: engine.delete_user(user_id))
    if json_out:
        print_json(removed)
    else:
        console.print(", ".join(f"{n} {what}" for what, n in removed.items()) + " deleted")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="API worker processes.")] = 1,
    jobs: Annotated[
        bool,
        typer.Option(
            help="Run background jobs (retraining) in this process; with several workers run "
            "`rapport worker` instead."
        ),
    ] = True,
) -> None:
    """Serve the REST API (OpenAPI docs at /docs)."""
    import uvicorn

    engine = run(state.engine)
    if engine.settings.api_key is None and not _is_loopback(host):
        raise fail("refusing to serve without RAPPORT_API_KEY on a non-loopback address", 2)
    if engine.settings.embedding_provider == "sentence-transformers":
        _ = engine.embedder.dim  # load the model now, not on the first request
    console.print(f"rapport API on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    if workers == 1:
        from rapport.interfaces.api.app import create_app
        from rapport.interfaces.jobs.scheduler import RetrainJob

        job = RetrainJob(engine)
        if jobs:
            job.start()
        try:
            uvicorn.run(create_app(engine), host=host, port=port, log_level="warning")
        finally:
            job.stop()
        return
    # Worker processes rebuild the engine from the environment.
    for key, value in state.options.items():
        if value is not None:
            os.environ[f"RAPPORT_{key.upper()}"] = str(value)
    uvicorn.run(
        "rapport.interfaces.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )


@app.command()
def worker(
    interval: Annotated[float, typer.Option(help="Seconds between job checks.")] = 300.0,
    once: Annotated[bool, typer.Option(help="Run the due jobs once and exit.")] = False,
) -> None:
    """Run background jobs (retraining when enough new feedback arrived) in the foreground."""
    from rapport.interfaces.jobs.scheduler import RetrainJob

    engine = run(state.engine)
    job = RetrainJob(engine, interval=interval)
    if once:
        done = run(job.run_once)
        console.print(f"retrained: {', '.join(done) or 'nothing due'}")
        return
    console.print(f"job worker checking every {interval:g} s (Ctrl-C to stop)")
    try:
        job.run_forever()
    except KeyboardInterrupt:
        console.print("stopped")


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    serve_api: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API after loading.")
    ] = True,
) -> None:
    """Load the demo world (labelled demo data) into the store, then serve it."""
    from rapport.demo.loader import load_demo
    from rapport.demo.world import build_demo_world

    engine = run(state.engine)
    world = build_demo_world()
    with progress_bar("embed demo items", len(world.items)) as advance:
        counts = run(lambda: load_demo(engine, world, progress=advance))
    console.print("demo loaded: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    if serve_api:
        serve(host=host, port=port, workers=1)


if __name__ == "__main__":
    app()
