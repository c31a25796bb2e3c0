"""`NudgePlanner`: which nudges are due at `at`, for whom, when they go out and what they
say. Reads history, never writes: the outbox stores what is sent (one row per user,
trigger and `period`), and its rows are what frequency caps and "once per period" count."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from rapport.core.models import Schema, User
from rapport.core.signals import SignalWeights
from rapport.core.store.activity import ActivityReader
from rapport.core.store.nudge_history import NudgeHistory
from rapport.core.store.repository import Store
from rapport.core.store.user_contexts import UserContext, UserContexts
from rapport.services.engage.config import EngageConfig
from rapport.services.engage.messages import MessageWriter, NudgeText
from rapport.services.engage.scores import UserScores, compute_scores
from rapport.services.engage.timing import Caps, best_hour, send_time
from rapport.services.engage.triggers import Due, NearItem, UserState, evaluate
from rapport.services.safety.crisis.screen import CrisisScreen

FindNear = Callable[[str, User, UserContext, datetime, EngageConfig], NearItem | None]
"""Finds the strong item near a user's reported place: (tenant, user, context, at, config)."""


class Nudge(Schema):
    """A nudge due at the asked moment, ready for the outbox."""

    user_id: str
    """Who gets it."""
    trigger: str
    """What made it due: inactivity, progress_stagnation, goal_deviation, motivation_drop,
    milestone, reprofile or near_now."""
    priority: int
    """Higher first; caps keep the highest ones."""
    message: str
    """The text sent."""
    send_at: datetime
    """When to deliver it: at once for urgent triggers, otherwise the user's best hour;
    never inside their quiet hours."""
    channel: str | None
    """Where to deliver it (webhook, email, discord...); None: the outbox's default
    channel."""
    period: str
    """The episode it belongs to: one nudge per user, trigger and period."""
    subject: str = ""
    """A title for channels that have one (email)."""
    reasons: list[str] = Field(default_factory=list)
    """Why it is due, with the thresholds."""
    item_id: str | None = None
    """The item it is about (milestone, near_now)."""
    personalised: bool = False
    """Written by the language model (else from the template)."""
    delivery_hour: int = 18
    """The user's best local delivery hour."""
    hour_learned: bool = False
    """Whether `delivery_hour` comes from the user's own active hours."""
    timezone: str = "UTC"
    """The user's time zone, in which quiet hours apply."""


class Held(Schema):
    """A nudge that was due but is not sent, and why."""

    user_id: str
    """Whose nudge."""
    trigger: str
    """Its trigger (`*` for every trigger of the user)."""
    period: str
    """Its period ("" for every period)."""
    reason: str
    """Why it is held: a cap, a period already sent, quiet hours, consent, a crisis."""


class NudgePlan(Schema):
    """The nudges due at `at`, and those held back."""

    at: datetime
    """The moment judged."""
    nudges: list[Nudge]
    """Due and allowed: users by id, highest priority first within each user."""
    held: list[Held] = Field(default_factory=list)
    """Due but not sent, with the reason."""


class NudgePlanner:
    def __init__(
        self,
        store: Store,
        config: EngageConfig,
        writer: MessageWriter,
        screen: Callable[[], CrisisScreen] | None = None,
        near: FindNear | None = None,
        signals: SignalWeights | None = None,
    ) -> None:
        self.store = store
        self.activity = ActivityReader(store)
        self.history = NudgeHistory(store)
        self.contexts = UserContexts(store)
        self.config = config
        self.writer = writer
        self.screen = screen
        self.near = near
        self.signals = signals or SignalWeights()

    # -- scores --------------------------------------------------------------------------------

    def scores(self, tenant: str, user_id: str, at: datetime) -> UserScores:
        config = self.config.for_tenant(tenant)
        user = self.store.get_user(tenant, user_id)
        since = at - timedelta(days=57)  # two weeks for motivation, eight for velocity
        events = self.activity.events(tenant, [user_id], since, at).get(user_id, [])
        return compute_scores(user_id, events, at, _zone(user).key, config)

    # -- nudges --------------------------------------------------------------------------------

    def due(
        self,
        tenant: str,
        at: datetime,
        user_ids: Sequence[str] | None = None,
        only: Sequence[str] | None = None,
        *,
        check: bool = False,
    ) -> NudgePlan:
        """Nudges due at `at` (for these users, of these triggers), and those held back.
        `check` judges the triggers alone: the outbox is not read (so a nudge already queued
        is still listed while its trigger holds) and no message is written."""
        config = self.config.for_tenant(tenant)
        plan = NudgePlan(at=at, nudges=[])
        for batch in self.activity.users(tenant, user_ids):
            allowed = [u for u in batch if u.consent]
            plan.held.extend(
                Held(user_id=u.id, trigger="*", period="", reason="no consent")
                for u in batch
                if not u.consent
            )
            if allowed:
                self._batch(tenant, allowed, at, config, only, plan, check)
        return plan

    def _batch(
        self,
        tenant: str,
        users: list[User],
        at: datetime,
        config: EngageConfig,
        only: Sequence[str] | None,
        plan: NudgePlan,
        check: bool,
    ) -> None:
        ids = [u.id for u in users]
        reader = self.activity
        events = reader.events(tenant, ids, at - timedelta(days=config.lookback_days), at)
        last_activity = reader.last_event(tenant, ids, at, exclude=config.passive_types)
        last_progress = reader.last_event(tenant, ids, at, types=config.progress_types)
        onboarded = reader.onboarded(tenant, ids, at)
        start = {u.id: onboarded.get(u.id) or u.created_at or at for u in users}
        achievements = reader.count_events(tenant, ids, config.achievement_types, start, at)
        contexts = self.contexts.many(tenant, ids)
        in_crisis = self._in_crisis(tenant, ids, at, config)
        item_ids = {e.item_id for evs in events.values() for e in evs if e.item_id}
        items = {i.id: i for i in self.store.get_items(tenant, sorted(item_ids))}
        if check:
            taken: dict[str, list[datetime]] = {}
            recorded: set[tuple[str, str, str]] = set()
        else:
            week = timedelta(days=8)
            taken = self.history.send_times(tenant, ids, at - week, at + week)
            recorded = self.history.periods(tenant, ids)
        for user in users:
            if user.id in in_crisis:
                plan.held.append(
                    Held(
                        user_id=user.id,
                        trigger="*",
                        period="",
                        reason="latest message reads as a crisis",
                    )
                )
                continue
            zone = _zone(user)
            mine = [e for e in events.get(user.id, []) if e.type not in config.passive_types]
            state = UserState(
                user=user,
                at=at,
                zone=zone,
                events=mine,
                items=items,
                scores=compute_scores(user.id, mine, at, zone.key, config),
                last_activity=last_activity.get(user.id),
                last_progress=last_progress.get(user.id),
                onboarded=start[user.id],
                achievements=achievements.get(user.id, 0),
                signals=self.signals,
            )
            context = contexts.get(user.id)
            wants_near = "near_now" in config.enabled and (only is None or "near_now" in only)
            if context is not None and wants_near and self.near is not None:
                fresh = timedelta(hours=config.near_fresh_hours)
                if (
                    context.lat is not None
                    and context.updated_at <= at <= context.updated_at + fresh
                ):
                    state.near = self.near(tenant, user, context, at, config)
                    state.near_reported = context.updated_at
            due = [d for d in evaluate(state, config) if only is None or d.trigger in only]
            taken_by_user = taken.get(user.id, [])
            if check:
                # No caps either: the check is whether each trigger holds.
                free = config.model_copy(update={"max_per_day": 99, "max_per_week": 99})
                self._deliver(tenant, user, zone, state, due, [], recorded, free, plan, False)
            else:
                self._deliver(
                    tenant, user, zone, state, due, taken_by_user, recorded, config, plan, True
                )

    def _deliver(
        self,
        tenant: str,
        user: User,
        zone: ZoneInfo,
        state: UserState,
        due: list[Due],
        taken: list[datetime],
        recorded: set[tuple[str, str, str]],
        config: EngageConfig,
        plan: NudgePlan,
        write: bool,
    ) -> None:
        hour, learned = best_hour(state.events, state.at, zone, config)
        caps = Caps(zone, taken, config)

        def hold(item: Due, reason: str) -> None:
            plan.held.append(
                Held(user_id=user.id, trigger=item.trigger, period=item.period, reason=reason)
            )

        due.sort(key=lambda d: (-config.priority(d.trigger), d.trigger, d.period))
        for item in due:
            if (user.id, item.trigger, item.period) in recorded:
                hold(item, "already sent for this period")
                continue
            urgent = item.trigger in config.urgent
            moment = send_time(state.at, zone, hour, urgent, config)
            if item.trigger == "near_now" and moment != state.at:
                hold(item, "quiet hours: no longer 'now'")
                continue
            full = caps.room(moment)
            if full:
                hold(item, full)
                continue
            caps.take(moment)
            text = (
                self.writer.write(tenant, user, item, config) if write else NudgeText("", "", False)
            )
            plan.nudges.append(
                Nudge(
                    user_id=user.id,
                    trigger=item.trigger,
                    priority=config.priority(item.trigger),
                    message=text.body,
                    subject=text.subject,
                    send_at=moment,
                    channel=_channel(user, config),
                    period=item.period,
                    reasons=item.reasons,
                    item_id=item.item_id,
                    personalised=text.personalised,
                    delivery_hour=hour,
                    hour_learned=learned,
                    timezone=zone.key,
                )
            )

    def _in_crisis(
        self, tenant: str, user_ids: list[str], at: datetime, config: EngageConfig
    ) -> set[str]:
        """Users whose latest message to the assistant reads as a crisis: no nudges for
        them (the crisis flow has already handed them to a person)."""
        if self.screen is None or not config.crisis_lookback_days:
            return set()
        since = at - timedelta(days=config.crisis_lookback_days)
        latest = self.activity.latest_messages(tenant, user_ids, since, at)
        if not latest:
            return set()
        owners = sorted(latest)
        verdicts = self.screen().screen_many([latest[u] for u in owners])
        return {u for u, v in zip(owners, verdicts, strict=True) if v.crisis}


def _zone(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _channel(user: User, config: EngageConfig) -> str | None:
    extra: dict[str, Any] = user.profile.model_extra or {}
    chosen = extra.get("preferred_channel")
    if isinstance(chosen, str) and 0 < len(chosen) <= 16:
        return chosen
    return config.channel
