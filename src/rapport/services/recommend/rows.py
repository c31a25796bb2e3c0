"""Set operations on the few hundred to few thousand frame rows a request handles."""

from __future__ import annotations

import numpy as np


def unique_rows(rows: np.ndarray) -> np.ndarray:
    """The sorted distinct values of `rows`, as `np.unique(rows)` gives them, by one sort:
    numpy 2.4 answers `np.unique` of integers through a hash table, about 14 times slower
    for 1,800 rows (0.09 against 0.006 ms), and a request asked it seven times."""
    ordered = np.sort(rows, axis=None)
    if ordered.size <= 1:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]
