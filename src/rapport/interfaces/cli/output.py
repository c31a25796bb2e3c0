"""Printing for the CLI: rich tables for people, JSON for machines, progress for long work."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, TypeAdapter
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

console = Console()
errors = Console(stderr=True)

_ANY: TypeAdapter[Any] = TypeAdapter(Any)


def report_error(label: str, message: str, style: str = "red") -> None:
    """`label: message` on stderr. The message is plain text, never markup: it quotes user
    data and validation patterns such as `[a-z_]`, which rich would otherwise swallow."""
    errors.print(Text.assemble((f"{label}:", style), " ", message), highlight=False)


def as_json(value: Any) -> Any:
    """Plain JSON data of a result: exactly what REST returns for the same model."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return _ANY.dump_python(value, mode="json")


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(as_json(value), ensure_ascii=False) + "\n")


@contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr; yields a callback that advances it."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def stream_jsonl(label: str, keys: list[Any], produce: Callable[[Any], Any]) -> None:
    """One JSON line on stdout per key, as soon as it is ready, with a progress bar."""
    with progress_bar(label, len(keys)) as advance:
        for key in keys:
            print_json(produce(key))
            sys.stdout.flush()
            advance(1)


def counts(removed: dict[str, int], verb: str) -> str:
    return ", ".join(f"{n} {what}" for what, n in removed.items()) + f" {verb}"
