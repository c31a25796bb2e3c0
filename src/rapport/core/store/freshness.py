"""Deciding cheaply whether a cache built from the store may be stale, and checking it off
the request path when only other processes can have changed it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

RECHECK_SECONDS = 1.0
"""How long a cache trusts itself when this process wrote nothing: writes from other
processes show up within this delay (longer when the check itself is slow, see
`COST_FACTOR`)."""
COST_FACTOR = 20.0
"""A check is repeated at most every `COST_FACTOR` times its own duration, so on a large
catalogue whose change query takes 50 ms the database is asked once a second at most."""


@dataclass
class Freshness:
    """Remembers when a cache last compared itself with the database."""

    writes: int = -1
    checked: float = float("-inf")
    cost: float = 0.0
    """Seconds the last comparison took."""

    def trusted(self, writes: int) -> bool:
        """True when nothing was written here since the last check, which was recent."""
        return writes == self.writes and not self.due()

    def wrote_here(self, writes: int) -> bool:
        """True when this process wrote since the last check: check now, so a caller
        always sees its own writes."""
        return writes != self.writes

    def due(self) -> bool:
        """True when the last check is old enough for another (other processes' writes)."""
        wait = max(RECHECK_SECONDS, COST_FACTOR * self.cost)
        return time.monotonic() - self.checked >= wait

    def mark(self, writes: int, cost: float = 0.0) -> None:
        self.writes = writes
        self.checked = time.monotonic()
        self.cost = cost

    def check(self, writes: int, compare: Callable[[], None], force: bool = False) -> None:
        """Run `compare` (the cache against the store) unless another thread has just done
        it, and remember when and how long it took. Callers hold their cache's lock."""
        if self.trusted(writes) and not force:
            return
        started = time.monotonic()
        compare()
        self.mark(writes, time.monotonic() - started)


class BackgroundChecks:
    """Runs at most one check per key at a time, each in a daemon thread, so requests keep
    serving the cached value while the database is asked whether it changed."""

    def __init__(self) -> None:
        self._running: dict[object, threading.Thread] = {}
        self._lock = threading.Lock()

    def start(self, key: object, check: Callable[[], object]) -> None:
        with self._lock:
            running = self._running.get(key)
            if running is not None and running.is_alive():
                return
            thread = threading.Thread(target=check, name=f"check {key}", daemon=True)
            self._running[key] = thread
            thread.start()

    def wait(self) -> None:
        """Wait for the checks under way (tests, and closing)."""
        with self._lock:
            threads = list(self._running.values())
        for thread in threads:
            thread.join()
