"""Deciding cheaply whether a cache built from the store may be stale."""

from __future__ import annotations

import time
from dataclasses import dataclass

RECHECK_SECONDS = 1.0
"""How long a cache trusts itself when this process wrote nothing: writes from other
processes show up within this delay."""


@dataclass
class Freshness:
    """Remembers when a cache last compared itself with the database."""

    writes: int = -1
    checked: float = float("-inf")

    def trusted(self, writes: int) -> bool:
        """True when nothing was written here since the last check, which was recent."""
        return writes == self.writes and time.monotonic() - self.checked < RECHECK_SECONDS

    def mark(self, writes: int) -> None:
        self.writes = writes
        self.checked = time.monotonic()
