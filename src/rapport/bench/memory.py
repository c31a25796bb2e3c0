"""Resident memory of this process, for benchmarks: now, and the peak since a phase began.

Linux keeps the peak in `/proc/self/status` (VmHWM) and lets a process reset it by writing
5 to `/proc/self/clear_refs`, so each phase of a benchmark gets its own peak. Elsewhere the
peak is the whole run's (`resource.getrusage`).
"""

from __future__ import annotations

import contextlib
import resource
import sys
from pathlib import Path

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")
MB = 1024 * 1024


def _status_kb(field: str) -> int | None:
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mb() -> float:
    """Resident memory now."""
    kb = _status_kb("VmRSS")
    return kb / 1024 if kb is not None else peak_mb()


def peak_mb() -> float:
    """Highest resident memory since the last `reset_peak` (or since the process began)."""
    kb = _status_kb("VmHWM")
    if kb is not None:
        return kb / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MB if sys.platform == "darwin" else peak / 1024  # bytes on macOS


def reset_peak() -> None:
    """Start a new peak from the current resident memory (Linux only; a no-op elsewhere)."""
    with contextlib.suppress(OSError):
        CLEAR_REFS.write_text("5")
