"""Printing for the CLI: rich tables for people, JSON for machines, progress for long work."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console()
errors = Console(stderr=True)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, default=str, ensure_ascii=False) + "\n")


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
            sys.stdout.write(json.dumps(produce(key), ensure_ascii=False, default=str) + "\n")
            sys.stdout.flush()
            advance(1)
