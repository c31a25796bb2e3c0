"""Per-user scores from the event history: engagement over the last 7 days, learning
velocity, and motivation as the trend of engagement, each with the features behind it.

All three read only events at or before `at`, so they can be replayed for any moment."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import Field

from rapport.core.models import Event, Schema
from rapport.services.engage.churn import RiskDriver
from rapport.services.engage.config import EngageConfig

WEEK = timedelta(days=7)
ENGAGEMENT_WEIGHTS = {"active_days": 0.4, "volume": 0.3, "progress": 0.3}
"""How the 7-day engagement score weighs its features (they sum to 1)."""
VOLUME_SATURATION = 20
"""Events in 7 days at which the volume feature reaches 1 (log scale below)."""
PROGRESS_SATURATION = 3
"""Progress events in 7 days at which the progress feature reaches 1."""
VELOCITY_WEEKS = 4
VELOCITY_STEPS = {"complete": 1.0, "achievement": 1.0, "progress": 0.5, "enroll": 0.5}
"""Learning steps per event type (a `progress` event with a value in (0, 1] counts that
value); other progress types count 0.25."""


class Driver(Schema):
    """One feature behind a score."""

    feature: str
    """What was measured."""
    value: float
    """Its value."""
    contribution: float
    """What it adds to the score (for the motivation trend: its change)."""
    detail: str = ""
    """The feature in words."""


class Score(Schema):
    value: float
    """The score."""
    drivers: list[Driver] = Field(default_factory=list)
    """The features that made it, largest contribution first."""


class UserScores(Schema):
    """Where one user stands at `at`."""

    user_id: str
    """Whose scores."""
    at: datetime
    """The moment they describe (events after it are ignored)."""
    engagement: Score
    """0-1 over the 7 days before `at`: active days, event volume and progress."""
    learning_velocity: Score
    """Learning steps per week over the last 4 weeks (completions 1, enrolments and
    progress reports 0.5, other progress 0.25)."""
    motivation: Score
    """0-1, 0.5 when engagement is steady: half the change of the 7-day engagement score
    against the 7 days before, added to 0.5."""
    motivation_trend: float
    """Engagement of the last 7 days minus the 7 days before (-1 to 1)."""
    previous_engagement: float
    """Engagement of the 7 days before the last 7."""
    abandonment_risk: float | None = None
    """Probability of no activity in the coming days, from the tenant's trained model
    (None when no model is trained)."""
    abandonment_drivers: list[RiskDriver] = Field(default_factory=list)
    """Groups of features behind the abandonment risk, strongest first."""


def compute_scores(
    user_id: str,
    events: Sequence[Event],
    at: datetime,
    timezone: str,
    config: EngageConfig,
) -> UserScores:
    """Scores of one user from their events (any order; later than `at` ignored)."""
    zone = ZoneInfo(timezone)
    mine = [e for e in events if e.timestamp <= at and e.type not in config.passive_types]
    now = engagement(mine, at, zone, config)
    before = engagement(mine, at - WEEK, zone, config)
    trend = round(now.value - before.value, 4)
    changes = [
        Driver(
            feature=driver.feature,
            value=driver.value,
            contribution=round(driver.contribution - _contribution(before, driver.feature), 4),
            detail=f"{driver.detail} (7 days before: {_value(before, driver.feature):g})",
        )
        for driver in now.drivers
    ]
    changes.sort(key=lambda d: (d.contribution, d.feature))  # the steepest fall first
    motivation = Score(value=round(min(1.0, max(0.0, 0.5 + trend / 2)), 4), drivers=changes)
    return UserScores(
        user_id=user_id,
        at=at,
        engagement=now,
        learning_velocity=velocity(mine, at, config),
        motivation=motivation,
        motivation_trend=trend,
        previous_engagement=before.value,
    )


def engagement(
    events: Sequence[Event], end: datetime, zone: ZoneInfo, config: EngageConfig
) -> Score:
    """The engagement score of the 7 days before `end`."""
    window = [e for e in events if end - WEEK < e.timestamp <= end]
    days = {e.timestamp.astimezone(zone).date() for e in window}
    progress = sum(1 for e in window if e.type in config.progress_types)
    features = {
        "active_days": (
            min(len(days), 7) / 7,
            f"active on {min(len(days), 7)} of the last 7 days",
        ),
        "volume": (
            min(1.0, math.log1p(len(window)) / math.log1p(VOLUME_SATURATION)),
            f"{len(window)} events in 7 days",
        ),
        "progress": (
            min(1.0, progress / PROGRESS_SATURATION),
            f"{progress} progress events in 7 days",
        ),
    }
    drivers = [
        Driver(
            feature=name,
            value=round(value, 4),
            contribution=round(ENGAGEMENT_WEIGHTS[name] * value, 4),
            detail=detail,
        )
        for name, (value, detail) in features.items()
    ]
    drivers.sort(key=lambda d: (-d.contribution, d.feature))
    return Score(value=round(sum(d.contribution for d in drivers), 4), drivers=drivers)


def velocity(events: Sequence[Event], at: datetime, config: EngageConfig) -> Score:
    """Learning steps per week over the last 4 weeks, with the 4 weeks before as a driver."""
    span = VELOCITY_WEEKS * WEEK
    recent = [e for e in events if at - span < e.timestamp <= at]
    earlier = [e for e in events if at - 2 * span < e.timestamp <= at - span]
    per_type: dict[str, tuple[int, float]] = {}
    for event in recent:
        step = _step(event, config)
        if step:
            count, total = per_type.get(event.type, (0, 0.0))
            per_type[event.type] = (count + 1, total + step)
    drivers = [
        Driver(
            feature=kind,
            value=count,
            contribution=round(total / VELOCITY_WEEKS, 4),
            detail=f"{count} {kind} events in {VELOCITY_WEEKS} weeks",
        )
        for kind, (count, total) in per_type.items()
    ]
    drivers.sort(key=lambda d: (-d.contribution, d.feature))
    before = sum(_step(e, config) for e in earlier) / VELOCITY_WEEKS
    drivers.append(
        Driver(
            feature="previous_velocity",
            value=round(before, 4),
            contribution=0.0,
            detail=f"{before:.2f} steps per week in the {VELOCITY_WEEKS} weeks before",
        )
    )
    value = sum(d.contribution for d in drivers)
    return Score(value=round(value, 4), drivers=drivers)


def _step(event: Event, config: EngageConfig) -> float:
    if event.type == "progress" and event.value is not None and 0 < event.value <= 1:
        return event.value
    if event.type in VELOCITY_STEPS:
        return VELOCITY_STEPS[event.type]
    return 0.25 if event.type in config.progress_types else 0.0


def _contribution(score: Score, feature: str) -> float:
    return next((d.contribution for d in score.drivers if d.feature == feature), 0.0)


def _value(score: Score, feature: str) -> float:
    return next((d.value for d in score.drivers if d.feature == feature), 0.0)
