"""One BLAS thread while a request runs.

A request multiplies small matrices (hundreds of candidates by a few vectors). With two
BLAS threads each product wakes the other thread, and on a busy machine it waits for a
core: products of a fraction of a millisecond then took 20-50 ms under load (profiled at
3,000 items, load average 8). One thread is as fast for these sizes and never waits. ALS
and BPR use it around their many small solves too: threadpoolctl's own `threadpool_limits`
scans the process's libraries on every call (1.5 ms, more than a user's solve).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_controller: Any = None
_lock = threading.Lock()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread for the block (a cached controller: about 10 µs)."""
    global _controller
    if _controller is None:
        with _lock:
            if _controller is None:
                from threadpoolctl import ThreadpoolController

                _controller = ThreadpoolController()
    with _controller.limit(limits=1, user_api="blas"):
        yield
