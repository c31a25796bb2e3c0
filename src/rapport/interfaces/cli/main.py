"""`rapport` command: the same operations as the Python library and the REST API, grouped by
the same areas (`rapport items ...`, `rapport kb ...`, `rapport model ...`)."""

from __future__ import annotations

import gc
import ipaddress
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rapport.core.logging import configure_logging
from rapport.interfaces.cli import assistant as assistant_commands
from rapport.interfaces.cli import (
    bench,
    churn,
    engage,
    evaluate,
    experiments,
    generate,
    keys,
    knowledge,
    models,
    moderation,
    outbox,
    recommend,
    records,
    safety,
    search,
)
from rapport.interfaces.cli import insights as insights_cli
from rapport.interfaces.cli import onboarding as onboarding_cli
from rapport.interfaces.cli import schedule as schedule_cli
from rapport.interfaces.cli.common import JsonFlag, emit, fail, run, state
from rapport.interfaces.cli.output import console, progress_bar

app = typer.Typer(
    name="rapport",
    help="Self-hosted personalization engine: know, match, answer, act, nudge.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

records.register(app)
recommend.register(app)
search.register(app)
knowledge.register(app)
models.register(app)
onboarding_cli.register(app)
safety.register(app)
app.add_typer(evaluate.app, name="eval")
app.add_typer(bench.app, name="bench")
keys.register(app)
assistant_commands.register(app)

generate.register(app)
app.add_typer(moderation.app, name="moderation")
app.add_typer(outbox.app, name="outbox")
app.add_typer(insights_cli.app, name="insights")
experiments.register(app)
engage.register(app)
churn.register(app)
schedule_cli.register(app)


@app.callback()
def main(
    ctx: typer.Context,
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
    state.reset({"data": data, "database_url": db, "tenant": tenant, "log_level": level})
    ctx.call_on_close(state.close)


@app.command()
def init() -> None:
    """Create the data directory and database (or migrate it to the current schema)."""
    engine = state.engine()
    ready = engine.ready()
    console.print(f"{ready.status}: {ready.database} at {engine.settings.sqlalchemy_url}")


@app.command()
def stats(json_out: JsonFlag = False) -> None:
    """Counts of users, items (per kind) and events of the tenant, and what waits for
    embedding."""
    counts = run(lambda: state.engine().stats())

    def show() -> None:
        table = Table("tenant", "users", "items", "items by kind", "events")
        kinds = ", ".join(f"{k}: {v}" for k, v in counts.items_by_kind.items())
        table.add_row(
            counts.tenant, str(counts.users), str(counts.items), kinds, str(counts.events)
        )
        console.print(table)
        if counts.unindexed_items or counts.unindexed_chunks:
            console.print(
                f"waiting for embedding: {counts.unindexed_items} items, "
                f"{counts.unindexed_chunks} knowledge chunks (finished by `serve` on start, "
                "the worker, or `rapport items index` / `rapport kb index`)",
                markup=False,
            )

    emit(counts, json_out, show)


@app.command()
def audit(
    action: Annotated[
        str | None,
        typer.Option(help="Only this action: answer, assistant, nudge, escalation, generation."),
    ] = None,
    user: Annotated[str | None, typer.Option(help="Only entries about this user id.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    json_out: JsonFlag = False,
) -> None:
    """The log of AI actions, newest first."""
    page = run(lambda: state.engine().audit.list(action=action, user_id=user, limit=limit))

    def show() -> None:
        table = Table("time", "action", "model", "user", "output")
        for entry in page.items:
            table.add_row(
                entry.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                entry.action,
                entry.model,
                entry.user_hash[:12],
                entry.output[:80],
            )
        console.print(table, f"{page.total} entries")

    emit(page, json_out, show)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _exit_normally(signum: int, _frame: object) -> None:
    raise SystemExit(0)


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

    engine = state.engine()
    if not _is_loopback(host) and not run(engine.keys.required):
        raise fail(
            "refusing to serve without RAPPORT_API_KEY or a key (`rapport keys create`) "
            "on a non-loopback address",
            2,
        )
    run(engine.warm_up)  # load the embedding model now, not on the first request
    # What warm-up built lives as long as the server: the collector need not walk it on
    # every pass (its pauses were the REST latency tail).
    gc.collect()
    gc.freeze()
    console.print(f"rapport API on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    # uvicorn shuts down on SIGTERM, then raises it again: exit normally instead, so the
    # engine closes (the SQLite log is merged, background jobs stop).
    signal.signal(signal.SIGTERM, _exit_normally)
    if workers == 1:
        from rapport.interfaces.api.app import create_app
        from rapport.interfaces.jobs.experiments import ExperimentGuardJob
        from rapport.interfaces.jobs.outbox import DeliverOutboxJob
        from rapport.interfaces.jobs.scheduler import RetrainJob
        from rapport.interfaces.jobs.tagging import TagPostsJob

        job = RetrainJob(engine)
        tagging = TagPostsJob(engine)
        delivery = DeliverOutboxJob(engine)
        guard = ExperimentGuardJob(engine)
        if jobs:
            job.start()
            tagging.start()
            delivery.start()
            guard.start()
        try:
            uvicorn.run(create_app(engine), host=host, port=port, log_level="warning")
        finally:
            job.stop()
            tagging.stop()
            delivery.stop()
            guard.stop()
        return
    # Worker processes rebuild the engine from the environment.
    for key, value in state.options.items():
        if value is not None:
            os.environ[f"RAPPORT_{key.upper()}"] = str(value)
    # /metrics of any worker shows every worker's samples (prometheus multiprocess mode).
    samples = multiprocess_metrics_dir()
    try:
        uvicorn.run(
            "rapport.interfaces.api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
    finally:
        if samples is not None:
            shutil.rmtree(samples, ignore_errors=True)


def multiprocess_metrics_dir() -> Path | None:
    """Point the workers at a directory for their metric samples: the one the operator set
    in PROMETHEUS_MULTIPROC_DIR (emptied of old samples), else a fresh temporary one that
    is removed when the server stops (returned)."""
    from rapport.core.telemetry import MULTIPROC_ENV, clear_samples

    given = os.environ.get(MULTIPROC_ENV)
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        clear_samples(Path(given))
        return None
    made = Path(tempfile.mkdtemp(prefix="rapport-metrics-"))
    os.environ[MULTIPROC_ENV] = str(made)
    return made


@app.command()
def worker(
    interval: Annotated[float, typer.Option(help="Seconds between job checks.")] = 300.0,
    once: Annotated[bool, typer.Option(help="Run the due jobs once and exit.")] = False,
) -> None:
    """Run background jobs (retraining when enough new feedback arrived) in the foreground."""
    from rapport.interfaces.jobs.experiments import ExperimentGuardJob
    from rapport.interfaces.jobs.outbox import DeliverOutboxJob
    from rapport.interfaces.jobs.scheduler import RetrainJob
    from rapport.interfaces.jobs.tagging import TagPostsJob

    job = RetrainJob(state.engine(), interval=interval)
    tagging = TagPostsJob(state.engine())
    delivery = DeliverOutboxJob(state.engine())
    guard = ExperimentGuardJob(state.engine())
    if once:
        done = run(job.run_once)
        console.print(f"retrained: {', '.join(done) or 'nothing due'}")
        tagged = run(tagging.run_once)
        console.print(f"posts tagged: {sum(tagged.values())}")
        delivered = run(delivery.run_once)
        console.print(f"outbox messages sent: {sum(delivered.values())}")
        stopped = run(guard.run_once)
        console.print(f"experiments stopped: {sum(len(v) for v in stopped.values())}")
        return
    console.print(f"job worker checking every {interval:g} s (Ctrl-C to stop)")
    tagging.start()
    delivery.start()
    guard.start()
    try:
        job.run_forever()
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        tagging.stop()
        delivery.stop()
        guard.stop()


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    serve_api: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API after loading.")
    ] = True,
) -> None:
    """Load the demo world (labelled demo data) into the store, then serve it."""
    from rapport.demo.loader import load_demo, log_messages_unless_configured
    from rapport.demo.world import build_demo_world

    engine = state.engine()
    if log_messages_unless_configured(engine.settings):
        console.print(
            "nudges and reminders are written to the log (shown with `rapport -v demo`; "
            "GET /outbox lists them); set [outbox] to deliver them",
            markup=False,
        )
    world = build_demo_world()
    with progress_bar("embed demo items", len(world.items)) as advance:
        counts = run(lambda: load_demo(engine, world, progress=advance))
    console.print("demo loaded: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    if serve_api:
        serve(host=host, port=port, workers=1)


if __name__ == "__main__":
    app()
