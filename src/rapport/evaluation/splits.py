"""The split protocol: per user, the newest share of their interactions is held out."""

from __future__ import annotations

import numpy as np

from rapport.core.interactions import Interactions

RELEVANT_SIGNAL = 0.5  # unrated interactions at least as strong as a save count as relevant


def split_by_time(data: Interactions, holdout: float = 0.2) -> tuple[Interactions, Interactions]:
    """Per user, the latest `holdout` share of their interactions goes to the second part.

    A user with n >= 2 interactions holds out max(1, round(holdout * n)) of them; users with
    one interaction stay in the first part. Ties in time keep input order.
    """
    return time_fold(data, holdout, 0)


def time_fold(data: Interactions, holdout: float, fold: int) -> tuple[Interactions, Interactions]:
    """Fold `fold` of a rolling-origin split: per user, the `fold`-th slice of
    max(1, round(holdout * n)) interactions counted back from the newest is held out, what
    came before it is the first part, and what came after it is left out (it is the future
    of that validation period). Fold 0 is `split_by_time`. A user keeps at least one
    interaction in the first part, or takes no part in the fold."""
    order = np.lexsort((np.arange(len(data.users)), data.time, data.users))
    part = np.zeros(len(data.users), dtype=np.int8)  # 0 first part, 1 held out, 2 left out
    users_sorted = data.users[order]
    starts = np.flatnonzero(np.r_[True, users_sorted[1:] != users_sorted[:-1]])
    ends = np.r_[starts[1:], len(users_sorted)]
    for start, end in zip(starts, ends, strict=True):
        n = end - start
        if n < 2:
            continue
        held = max(1, round(holdout * n))
        cut = end - (fold + 1) * held
        if cut - start < 1:
            part[order[start:end]] = 2
            continue
        part[order[cut : end - fold * held]] = 1
        part[order[end - fold * held : end]] = 2
    return data.subset(part == 0), data.subset(part == 1)


def relevant_sets(test: Interactions, positive_rating: float = 4.0) -> dict[int, set[int]]:
    """Per user index, the held-out items that count as relevant: rated at least
    `positive_rating`, or (unrated) with a signal at least as strong as a save."""
    rated = ~np.isnan(test.rating)
    good = np.where(rated, test.rating >= positive_rating, test.strength >= RELEVANT_SIGNAL)
    result: dict[int, set[int]] = {}
    for user, item in zip(test.users[good], test.items[good], strict=True):
        result.setdefault(int(user), set()).add(int(item))
    return result
