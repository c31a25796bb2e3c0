"""What a user's activity before a cut-off says about whether they will come back: the
features of the abandonment model, computed for every user at once.

Ratios of other features (days since the last activity over the usual gap, events per
session) are left out: the linear model reads everything on a log scale, where a ratio is a
difference of two columns it already has, and such exact collinearity made the per-user
drivers flip sign ("long overdue lowers the risk").

Durations are in days; windows are multiples of the horizon H (the silence that counts as
abandonment), so the same features fit a tenant whose users return hourly and one whose
users return monthly. Sessions are runs of events less than `SESSION_GAP` apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rapport.core.activity import ActivityLog

DAY = 86_400.0
SESSION_GAP = 30 * 60.0
"""Events closer than this belong to one session (the usual web-analytics cut)."""

NAMES = (
    "days_since_last",
    "events_recent",
    "events_horizon",
    "events_long",
    "sessions_horizon",
    "sessions_long",
    "active_days_horizon",
    "trend",
    "tenure_days",
    "events_total",
    "sessions_total",
    "mean_gap_days",
    "last_gap_days",
    "last_session_events",
    "rating_share",
    "rating_drift",
)


def labels(horizon_days: float) -> dict[str, str]:
    """Human-readable names of the features, with the window lengths spelled out."""
    h = horizon_days
    return {
        "days_since_last": "days since the last activity",
        "events_recent": f"events in the last {_days(h / 4)}",
        "events_horizon": f"events in the last {_days(h)}",
        "events_long": f"events in the last {_days(3 * h)}",
        "sessions_horizon": f"sessions in the last {_days(h)}",
        "sessions_long": f"sessions in the last {_days(3 * h)}",
        "active_days_horizon": f"active days in the last {_days(h)}",
        "trend": f"change in activity, last {_days(h)} against the {_days(h)} before (log ratio)",
        "tenure_days": "days since the first activity",
        "events_total": "events ever",
        "sessions_total": "sessions ever",
        "mean_gap_days": "usual days between sessions",
        "last_gap_days": "days between the last two sessions",
        "last_session_events": "events in the last session",
        "rating_share": "share of events that are ratings",
        "rating_drift": "latest session's mean rating minus the user's mean rating",
    }


GROUPS: dict[str, tuple[str, ...]] = {
    "recent_activity": (
        "days_since_last",
        "events_recent",
        "events_horizon",
        "sessions_horizon",
        "active_days_horizon",
        "trend",
    ),
    "longer_activity": ("events_long", "sessions_long"),
    "history": ("tenure_days", "events_total", "sessions_total"),
    "rhythm": ("mean_gap_days", "last_gap_days"),
    "last_session": ("last_session_events",),
    "ratings": ("rating_drift", "rating_share"),
}
"""Features that say the same thing in different words, explained together: put back one
at a time, collinear features split (and flip) their credit; the first of each group is the
one its explanation quotes."""


def group_labels(horizon_days: float) -> dict[str, str]:
    """What each group of features means, in words."""
    h = _days(horizon_days)
    return {
        "recent_activity": f"activity in the last {h} (days since the last, events, "
        "sessions, active days, trend)",
        "longer_activity": f"activity in the last {_days(3 * horizon_days)}",
        "history": "how long and how much the user has been active",
        "rhythm": "usual days between sessions",
        "last_session": "size of the last session",
        "ratings": "ratings (latest session's against the user's mean, share of ratings)",
    }


def _days(value: float) -> str:
    if value < 1:
        return f"{value * 24:.0f} hours"
    return f"{value:.0f} days" if value >= 2 else f"{value:.1f} days"


@dataclass
class Sessions:
    """Sessions of a log: per event its session, per session its user, start and size."""

    of_event: np.ndarray
    user: np.ndarray
    start: np.ndarray
    end: np.ndarray

    @classmethod
    def of(cls, log: ActivityLog) -> Sessions:
        order = np.lexsort((log.times, log.users))
        users, times = log.users[order], log.times[order]
        new = np.ones(len(order), dtype=bool)
        if len(order) > 1:
            new[1:] = (users[1:] != users[:-1]) | (times[1:] - times[:-1] > SESSION_GAP)
        ids_sorted = np.cumsum(new) - 1
        of_event = np.empty(len(order), dtype=np.int64)
        of_event[order] = ids_sorted
        count = int(ids_sorted[-1]) + 1 if len(order) else 0
        start = np.full(count, np.inf)
        end = np.full(count, -np.inf)
        np.minimum.at(start, ids_sorted, times)
        np.maximum.at(end, ids_sorted, times)
        user = np.zeros(count, dtype=np.int64)
        user[ids_sorted] = users
        return cls(of_event, user, start, end)


def session_gaps(log: ActivityLog) -> np.ndarray:
    """Days between consecutive sessions of the same user (what the horizon is chosen from)."""
    sessions = Sessions.of(log)
    order = np.lexsort((sessions.start, sessions.user))
    user, start, end = sessions.user[order], sessions.start[order], sessions.end[order]
    same = user[1:] == user[:-1]
    return np.asarray((start[1:] - end[:-1])[same] / DAY)


def features(
    log: ActivityLog,
    sessions: Sessions,
    cutoff: float,
    horizon_days: float,
    lookback: float | None = 3.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(user codes, feature rows) of every user with activity at or before `cutoff` and
    within the last `lookback` horizons of it (training: users gone longer are already lost,
    not at risk; None keeps everyone, for judging one user)."""
    h = horizon_days * DAY
    n_users = len(log.user_ids)
    seen = log.times <= cutoff
    u, t = log.users[seen], log.times[seen]
    if not len(u):
        return np.zeros(0, dtype=np.int64), np.zeros((0, len(NAMES)))
    last = np.full(n_users, -np.inf)
    np.maximum.at(last, u, t)
    first = np.full(n_users, np.inf)
    np.minimum.at(first, u, t)
    since = -np.inf if lookback is None else cutoff - lookback * h
    population = np.flatnonzero((last > since) & (last > -np.inf))

    def count(since: float, until: float = cutoff) -> np.ndarray:
        rows = (t > since) & (t <= until)
        return np.bincount(u[rows], minlength=n_users).astype(np.float64)

    total = np.bincount(u, minlength=n_users).astype(np.float64)
    recent, horizon, long = count(cutoff - h / 4), count(cutoff - h), count(cutoff - 3 * h)
    before = count(cutoff - 2 * h, cutoff - h)
    # Sessions that started by the cut-off (a session running across it counts as begun).
    begun = sessions.start <= cutoff
    s_user, s_start = sessions.user[begun], sessions.start[begun]
    s_end = np.minimum(sessions.end[begun], cutoff)

    def session_count(since: float) -> np.ndarray:
        rows = s_start > since
        return np.bincount(s_user[rows], minlength=n_users).astype(np.float64)

    n_sessions = np.bincount(s_user, minlength=n_users).astype(np.float64)
    order = np.lexsort((s_start, s_user))
    su, ss, se = s_user[order], s_start[order], s_end[order]
    same = np.zeros(len(su), dtype=bool)
    same[1:] = su[1:] == su[:-1]
    gaps = np.zeros(len(su))
    gaps[1:] = (ss[1:] - se[:-1]) / DAY
    gaps[~same] = 0.0
    gap_sum = np.bincount(su, weights=gaps, minlength=n_users)
    # A shrunk mean: one prior gap of a whole horizon, so a single-session user has a
    # usual gap of H rather than none.
    mean_gap = (gap_sum + horizon_days) / n_sessions.clip(min=1)
    last_gap = np.full(n_users, horizon_days)
    newest = np.ones(len(su), dtype=bool)  # each user's newest session
    newest[:-1] = su[1:] != su[:-1]
    with_gap = newest & same
    last_gap[su[with_gap]] = gaps[with_gap]
    last_session = np.full(n_users, -1, dtype=np.int64)
    session_of = sessions.of_event[seen]
    np.maximum.at(last_session, u, session_of)
    in_last = session_of == last_session[u]
    last_events = np.bincount(u[in_last], minlength=n_users).astype(np.float64)
    days = np.floor(t / DAY)
    window = t > cutoff - h
    pairs = np.unique(np.stack([u[window], days[window]]), axis=1) if window.any() else None
    active_days = (
        np.bincount(pairs[0].astype(np.int64), minlength=n_users).astype(np.float64)
        if pairs is not None
        else np.zeros(n_users)
    )
    types, values = log.types[seen], log.values[seen]
    rated = (types == "rate") & ~np.isnan(values)
    n_rated = np.bincount(u[rated], minlength=n_users).astype(np.float64)
    rating_sum = np.bincount(u[rated], weights=values[rated], minlength=n_users)
    last_rated = rated & in_last
    n_last = np.bincount(u[last_rated], minlength=n_users).astype(np.float64)
    last_sum = np.bincount(u[last_rated], weights=values[last_rated], minlength=n_users)
    mean_rating = rating_sum / n_rated.clip(min=1)
    drift = np.where(n_last > 0, last_sum / n_last.clip(min=1) - mean_rating, 0.0)
    since_last = (cutoff - last) / DAY
    columns = {
        "days_since_last": since_last,
        "events_recent": recent,
        "events_horizon": horizon,
        "events_long": long,
        "sessions_horizon": session_count(cutoff - h),
        "sessions_long": session_count(cutoff - 3 * h),
        "active_days_horizon": active_days,
        "trend": np.log((horizon + 1) / (before + 1)),
        "tenure_days": (cutoff - first) / DAY,
        "events_total": total,
        "sessions_total": n_sessions,
        "mean_gap_days": mean_gap,
        "last_gap_days": last_gap,
        "last_session_events": last_events,
        "rating_share": n_rated / total.clip(min=1),
        "rating_drift": drift,
    }
    matrix = np.stack([columns[name][population] for name in NAMES], axis=1)
    return population, matrix


def abandoned(
    log: ActivityLog, users: np.ndarray, cutoff: float, horizon_days: float
) -> np.ndarray:
    """1 for each user with no activity in (cutoff, cutoff + horizon], else 0."""
    window = (log.times > cutoff) & (log.times <= cutoff + horizon_days * DAY)
    active = np.zeros(len(log.user_ids), dtype=bool)
    active[log.users[window]] = True
    return (~active[users]).astype(np.int64)


PEER_NAMES = ("days_since_last", "events_30d", "events_90d", "tenure_days")


def peer_features(log: ActivityLog, users: np.ndarray, cutoff: float) -> np.ndarray:
    """The recency-frequency peer's features: days since the last event, events in the last
    30 and 90 days, tenure."""
    n_users = len(log.user_ids)
    seen = log.times <= cutoff
    u, t = log.users[seen], log.times[seen]
    last = np.full(n_users, -np.inf)
    np.maximum.at(last, u, t)
    first = np.full(n_users, np.inf)
    np.minimum.at(first, u, t)

    def count(days: float) -> np.ndarray:
        rows = t > cutoff - days * DAY
        return np.bincount(u[rows], minlength=n_users).astype(np.float64)

    columns = [(cutoff - last) / DAY, count(30), count(90), (cutoff - first) / DAY]
    return np.stack([c[users] for c in columns], axis=1)
