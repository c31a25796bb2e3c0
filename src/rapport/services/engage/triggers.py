"""The triggers that make a nudge due, each a pure function of one user's state at `at`.

What the words mean on rapport's data (docs/engage.md):
- activity: any event of the user except delivery outcomes (`passive_types`);
- progress: events of `progress_types` (complete, enroll, progress, achievement, purchase);
- achievement: events of `achievement_types` (complete, achievement);
- goal: active days per week, from the profile's `weekly_active_days` or its
  `hours_per_week` (one active day per `hours_per_active_day` hours, at most 7);
- milestone: the `starts_at` of an item the user committed to (enroll, purchase, book) or
  saved; for a saved item already started, the `ends_at` of a window longer than a day
  (an application deadline, an exhibition's last day);
- onboarding: the user's last finished onboarding interview, or their sign-up.

Every due trigger carries a `period`: the episode it belongs to (the inactivity that began
at the last event, the week, the milestone), so a nudge is sent once per user, trigger
and period however often the triggers run."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rapport.core.models import Event, Item, User
from rapport.core.signals import SignalWeights
from rapport.services.engage.config import EngageConfig
from rapport.services.engage.scores import UserScores
from rapport.services.insights import InsightsConfig, detect_drift

EPSILON = 1e-9
"""Scores are rounded to 4 places: a threshold met exactly must fire."""


@dataclass(frozen=True)
class NearItem:
    """A strong recommendation close to where the user is now."""

    item: Item
    score: float
    distance_km: float | None
    reasons: list[str]


@dataclass
class UserState:
    """Everything the triggers read about one user at `at`."""

    user: User
    at: datetime
    zone: ZoneInfo
    events: list[Event]
    """Events of the look-back window, oldest first, none after `at`."""
    items: dict[str, Item]
    scores: UserScores
    last_activity: datetime | None
    last_progress: datetime | None
    onboarded: datetime
    achievements: int
    """Achievements since `onboarded`."""
    near: NearItem | None = None
    near_reported: datetime | None = None
    signals: SignalWeights = field(default_factory=SignalWeights)
    """How much each event type says (the recommender's), for drift detection."""


@dataclass(frozen=True)
class Due:
    """A trigger that fired, before caps, quiet hours and messages."""

    trigger: str
    period: str
    reasons: list[str]
    facts: dict[str, str] = field(default_factory=dict)
    """Values the message templates use (title, when, idle...)."""
    item_id: str | None = None


def evaluate(state: UserState, config: EngageConfig) -> list[Due]:
    """Every enabled trigger due for this user at `state.at`."""
    found: list[Due] = []
    checks = {
        "inactivity": inactivity,
        "progress_stagnation": progress_stagnation,
        "goal_deviation": goal_deviation,
        "motivation_drop": motivation_drop,
        "milestone": milestones,
        "reprofile": reprofile,
        "near_now": near_now,
    }
    for name in config.enabled:
        found.extend(checks[name](state, config))
    if any(d.trigger == "inactivity" for d in found):
        # Stagnation of an inactive user is the inactivity itself: one message, not two.
        found = [d for d in found if d.trigger != "progress_stagnation"]
    return found


def inactivity(state: UserState, config: EngageConfig) -> list[Due]:
    last = state.last_activity
    if last is None:
        return []
    idle = state.at - last
    if not timedelta(hours=config.inactivity_hours) <= idle <= _max_idle(config):
        return []
    return [
        Due(
            "inactivity",
            period="since-" + _stamp(last),
            reasons=[f"no activity for {_span(idle)} (threshold {config.inactivity_hours:g} h)"],
            facts={"idle": _span(idle), "pickup": _pickup(_last_title(state))},
        )
    ]


def progress_stagnation(state: UserState, config: EngageConfig) -> list[Due]:
    last = state.last_progress
    if last is None:
        return []  # never made progress: nothing has stalled
    idle = state.at - last
    if not timedelta(days=config.stagnation_days) <= idle <= _max_idle(config):
        return []
    return [
        Due(
            "progress_stagnation",
            period="since-" + _stamp(last),
            reasons=[f"no progress for {_span(idle)} (threshold {config.stagnation_days:g} days)"],
            facts={"idle": _span(idle), "step": _step_line(state.user)},
        )
    ]


def weekly_goal(user: User, config: EngageConfig) -> int | None:
    """Active days per week the user aims at, or None when the profile sets no goal."""
    extra = user.profile.model_extra or {}
    days = extra.get("weekly_active_days")
    if isinstance(days, int | float) and not isinstance(days, bool) and days > 0:
        return min(7, math.ceil(days))
    hours = user.profile.hours_per_week
    if hours:
        return min(7, math.ceil(hours / config.hours_per_active_day))
    return None


def goal_deviation(state: UserState, config: EngageConfig) -> list[Due]:
    goal = weekly_goal(state.user, config)
    if goal is None:
        return []
    start = min([state.user.created_at or state.at, *(e.timestamp for e in state.events[:1])])
    if state.at - start < timedelta(days=7):
        return []  # a user younger than a week is not behind on a weekly goal
    zone = state.zone
    week = [e for e in state.events if state.at - timedelta(days=7) < e.timestamp <= state.at]
    active = min(7, len({e.timestamp.astimezone(zone).date() for e in week}))
    deviation = (goal - active) / goal
    if deviation < config.goal_deviation - EPSILON:
        return []
    return [
        Due(
            "goal_deviation",
            period=_week(state),
            reasons=[
                f"active on {active} of {goal} planned days in the last 7 days "
                f"(deviation {deviation:.2f}, threshold {config.goal_deviation:g})"
            ],
            facts={"goal_days": str(goal), "active_days": str(active)},
        )
    ]


def motivation_drop(state: UserState, config: EngageConfig) -> list[Due]:
    scores = state.scores
    if scores.motivation_trend > -config.motivation_drop + EPSILON:
        return []
    steepest = scores.motivation.drivers[0].detail if scores.motivation.drivers else ""
    return [
        Due(
            "motivation_drop",
            period=_week(state),
            reasons=[
                f"engagement fell from {scores.previous_engagement:.2f} to "
                f"{scores.engagement.value:.2f} (threshold {config.motivation_drop:g})",
                *([f"steepest fall: {steepest}"] if steepest else []),
            ],
            facts={"interest": _interest(state.user)},
        )
    ]


def milestones(state: UserState, config: EngageConfig) -> list[Due]:
    ahead = timedelta(hours=config.milestone_ahead_hours)
    done = {e.item_id for e in state.events if e.type in config.achievement_types}
    found: dict[str, Due] = {}
    for event in state.events:
        item = state.items.get(event.item_id or "")
        if item is None or item.id in done or item.id in found:
            continue
        if event.type in config.commitment_types:
            moment, what = item.starts_at, "starts"
        elif event.type in config.deadline_types:
            # A saved item's milestone is its start, or once started the end of a window
            # longer than a day (an application deadline, an exhibition's last day); an
            # evening event already under way has none.
            if item.starts_at is not None and item.starts_at > state.at:
                moment, what = item.starts_at, "starts"
            elif item.ends_at is not None and _long_window(item):
                moment, what = item.ends_at, "closes"
            else:
                continue
        else:
            continue
        if moment is None or not state.at < moment <= state.at + ahead:
            continue
        when = _when(moment, state.at, state.zone)
        found[item.id] = Due(
            "milestone",
            period=_key("item", item.id, f"{moment:%Y%m%d%H%M}"),
            reasons=[
                f"{item.title or item.id} {what} in {_span(moment - state.at)} ({event.type})"
            ],
            facts={"title": item.title or item.id, "what": what, "when": when},
            item_id=item.id,
        )
    return list(found.values())


def reprofile(state: UserState, config: EngageConfig) -> list[Due]:
    if not state.events:
        return []  # nobody to ask: no activity in the look-back window
    found: list[tuple[str, str, str]] = []  # period, reason, the reason in plain words
    since = state.at - state.onboarded
    onboarded = f"{state.onboarded:%Y%m%d}"
    if since >= timedelta(days=config.reprofile_days):
        found.append(
            (
                f"onboarding-{onboarded}",
                f"{since.days} days since onboarding (threshold {config.reprofile_days:g})",
                f"it has been {since.days} days since you told us what you are into",
            )
        )
    if state.achievements >= config.reprofile_achievements:
        found.append(
            (
                f"achievements-{onboarded}",
                f"{state.achievements} achievements since onboarding "
                f"(threshold {config.reprofile_achievements})",
                f"you have completed {state.achievements} things since you joined",
            )
        )
    if config.reprofile_on_drift:
        pairs = [(e, state.signals.strength(e)) for e in state.events]
        drift = detect_drift(pairs, state.items, state.user, InsightsConfig())
        if drift.detected:
            found.append(
                (
                    f"drift-{state.at.astimezone(state.zone):%Y-%m}",
                    f"interests drifted from {', '.join(drift.earlier)} to "
                    f"{', '.join(drift.recent)} (divergence {drift.score:.2f})",
                    f"lately you have been exploring {drift.recent[0]}"
                    if drift.recent
                    else "your interests seem to have moved",
                )
            )
    if not found:
        return []
    return [
        Due(
            "reprofile",
            period=found[0][0],
            reasons=[reason for _, reason, _ in found],
            facts={"why": found[0][2]},
        )
    ]


def near_now(state: UserState, config: EngageConfig) -> list[Due]:
    near, reported = state.near, state.near_reported
    if near is None or reported is None:
        return []
    if not reported <= state.at <= reported + timedelta(hours=config.near_fresh_hours):
        return []
    distance = "" if near.distance_km is None else f"{near.distance_km:.1f} km away"
    local_day = f"{state.at.astimezone(state.zone):%Y%m%d}"
    return [
        Due(
            "near_now",
            period=_key("near", near.item.id, local_day),
            reasons=[
                f"{near.item.title or near.item.id} is {distance or 'close'} and on now",
                *near.reasons[:2],
            ],
            facts={"title": near.item.title or near.item.id, "distance": distance or "nearby"},
            item_id=near.item.id,
        )
    ]


# -- helpers -------------------------------------------------------------------------------


def _max_idle(config: EngageConfig) -> timedelta:
    return timedelta(days=config.max_idle_days)


def _stamp(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%SZ}"


def _week(state: UserState) -> str:
    year, week, _ = state.at.astimezone(state.zone).isocalendar()
    return f"{year}-W{week:02d}"


def _key(kind: str, item_id: str, suffix: str) -> str:
    """`kind:item:suffix`, with a hash of the item id when it would not fit the outbox's
    64-character period."""
    text = f"{kind}:{item_id}:{suffix}"
    if len(text) <= 64:
        return text
    digest = hashlib.sha1(item_id.encode()).hexdigest()[:16]
    return f"{kind}:{digest}:{suffix}"


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.0f} hours"
    return f"{hours / 24:.0f} days"


def _when(moment: datetime, at: datetime, zone: ZoneInfo) -> str:
    """ "today at 19:00", "tomorrow at 08:00" or "Sunday 22 November at 10:00", local."""
    local, now = moment.astimezone(zone), at.astimezone(zone)
    days = (local.date() - now.date()).days
    day = {0: "today", 1: "tomorrow"}.get(days) or f"{local:%A %d %B}"
    return f"{day} at {local:%H:%M}"


def _long_window(item: Item) -> bool:
    if item.starts_at is None or item.ends_at is None:
        return True
    return item.ends_at - item.starts_at > timedelta(days=1)


def _pickup(title: str) -> str:
    if title:
        return f"Ready to pick up {title} again?"
    return "Ready to pick up where you left off?"


def _last_title(state: UserState) -> str:
    for event in reversed(state.events):
        item = state.items.get(event.item_id or "")
        if item is not None and item.title:
            return item.title
    return ""


def _step_line(user: User) -> str:
    if user.profile.goals:
        return f"One small step today brings you closer to your goal: {user.profile.goals[0]}."
    return "One small step today gets things moving again."


def _interest(user: User) -> str:
    interests: Sequence[str] = user.profile.interests or user.profile.passions
    return interests[0] if interests else ""
