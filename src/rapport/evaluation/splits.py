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
    order = np.lexsort((np.arange(len(data.users)), data.time, data.users))
    test = np.zeros(len(data.users), dtype=bool)
    users_sorted = data.users[order]
    starts = np.flatnonzero(np.r_[True, users_sorted[1:] != users_sorted[:-1]])
    ends = np.r_[starts[1:], len(users_sorted)]
    for start, end in zip(starts, ends, strict=True):
        n = end - start
        if n >= 2:
            held = max(1, round(holdout * n))
            test[order[end - held : end]] = True
    return data.subset(~test), data.subset(test)


def relevant_sets(test: Interactions, positive_rating: float = 4.0) -> dict[int, set[int]]:
    """Per user index, the held-out items that count as relevant: rated at least
    `positive_rating`, or (unrated) with a signal at least as strong as a save."""
    rated = ~np.isnan(test.rating)
    good = np.where(rated, test.rating >= positive_rating, test.strength >= RELEVANT_SIGNAL)
    result: dict[int, set[int]] = {}
    for user, item in zip(test.users[good], test.items[good], strict=True):
        result.setdefault(int(user), set()).add(int(item))
    return result
