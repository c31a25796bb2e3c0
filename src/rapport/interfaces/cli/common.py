"""What every CLI command shares: global options, the engine, error handling."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from rapport.core.errors import InvalidInput, RapportError
from rapport.interfaces.cli.output import errors

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


class State:
    """Global options, turned into an `Engine` only by commands that need one."""

    def __init__(self) -> None:
        self.options: dict[str, Any] = {}
        self._engine: Any = None

    def engine(self) -> Any:
        if self._engine is None:
            from rapport.engine import Engine

            self._engine = Engine(**self.options)
        return self._engine


state = State()


def fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def run(action: Any) -> Any:
    """Run an engine call, turning engine errors into a message and a non-zero exit."""
    try:
        return action()
    except InvalidInput as exc:
        for error in exc.errors[:20]:
            errors.print(f"[red]invalid:[/red] {error}", highlight=False)
        if len(exc.errors) > 20:
            errors.print(f"... and {len(exc.errors) - 20} more")
        raise fail(f"{len(exc.errors)} invalid record(s); nothing was written", 2) from exc
    except (RapportError, FileNotFoundError, ValueError) as exc:
        raise fail(str(exc)) from exc
