"""Opening a database: engine creation, SQLite tuning and schema migrations."""

from __future__ import annotations

from pathlib import Path

import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection, ExceptionContext
from sqlalchemy.pool import ConnectionPoolEntry

from rapport.core.errors import Busy

log = structlog.get_logger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def open_database(url: str, busy_timeout: float = 30.0) -> Engine:
    """Create the SQLAlchemy engine for `url`, with the back end's settings applied.

    `busy_timeout`: seconds a SQLite writer waits for another before giving up (`Busy`)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy_timeout}
        )
        event.listen(engine, "connect", _tune_sqlite)
        event.listen(engine, "handle_error", _busy_when_locked)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8)


def _tune_sqlite(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # WAL lets readers run while one writer writes; NORMAL sync is safe with WAL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted rows are zeroed, not left readable in free pages (delete-my-data).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _busy_when_locked(context: ExceptionContext) -> Exception | None:
    """A writer that waited the whole busy timeout for another one gets `Busy` (503 with
    Retry-After, a CLI message), not a driver error."""
    if "database is locked" in str(context.original_exception):
        return Busy("the database is busy with another write; try again shortly")
    return None


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when already there."""
    config = _alembic_config(engine)
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        log.info("migrating schema", current=current, head=head)
        command.upgrade(config, "head")
