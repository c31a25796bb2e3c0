"""How benchmarks report progress without printing: the caller hands in a factory of
progress bars (the CLI's rich bars), or gets none."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

Advance = Callable[[int], None]
Bars = Callable[[str, int | None], AbstractContextManager[Advance]]
"""`bars(label, total)` opens a bar and yields the callback that advances it."""


@contextmanager
def no_bars(_label: str, _total: int | None) -> Iterator[Advance]:
    yield lambda _n: None
