"""The `[engage]` settings section: trigger thresholds with the seeds' defaults, priorities,
frequency caps, quiet hours, delivery hours and channels, with per-tenant overrides."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field, model_validator

from rapport.core.components import ComponentConfig

TriggerName = Literal[
    "inactivity",
    "progress_stagnation",
    "goal_deviation",
    "motivation_drop",
    "milestone",
    "reprofile",
    "near_now",
]
TRIGGERS: tuple[TriggerName, ...] = (
    "inactivity",
    "progress_stagnation",
    "goal_deviation",
    "motivation_drop",
    "milestone",
    "reprofile",
    "near_now",
)

DEFAULT_PRIORITIES: dict[str, int] = {
    "milestone": 100,
    "near_now": 90,
    "inactivity": 80,
    "goal_deviation": 70,
    "motivation_drop": 60,
    "progress_stagnation": 50,
    "reprofile": 30,
}
"""Higher goes first when caps leave room for fewer nudges than are due."""


class EngageConfig(ComponentConfig):
    """Scores, triggers and delivery rules (the `[engage]` settings section). Every field
    can be overridden per tenant under `tenants.<name>`."""

    # -- what counts as what ---------------------------------------------------------------
    progress_types: list[str] = Field(
        default_factory=lambda: ["complete", "enroll", "progress", "achievement", "purchase"]
    )
    """Event types that are progress: finishing or starting something, a progress report,
    an achievement, a booking."""
    achievement_types: list[str] = Field(default_factory=lambda: ["complete", "achievement"])
    """Event types that are achievements (counted for re-profiling)."""
    commitment_types: list[str] = Field(default_factory=lambda: ["enroll", "purchase", "book"])
    """Event types that commit the user to an item: its `starts_at` is a milestone."""
    deadline_types: list[str] = Field(default_factory=lambda: ["save"])
    """Event types that make an item's `ends_at` a milestone (an application deadline)."""
    passive_types: list[str] = Field(
        default_factory=lambda: [
            "nudge_sent",
            "nudge_delivered",
            "nudge_failed",
            "delivered",
            "impression",
        ]
    )
    """Event types that are not the user's own activity (delivery outcomes)."""

    # -- triggers (seed 001 and 000 defaults) --------------------------------------------------
    inactivity_hours: float = Field(default=24.0, gt=0)
    """No activity for this long makes `inactivity` due."""
    max_idle_days: float = Field(default=30.0, gt=0)
    """Inactivity and stagnation older than this are no longer nudged: those users were
    nudged when it began, and winning back the long gone is the abandonment model's job
    (also keeps a freshly imported old history from nudging everyone)."""
    stagnation_days: float = Field(default=3.0, gt=0)
    """No progress event for this long (after earlier progress) makes
    `progress_stagnation` due."""
    goal_deviation: float = Field(default=0.3, gt=0, le=1)
    """Shortfall of active days against the weekly goal, as a share of the goal."""
    motivation_drop: float = Field(default=0.2, gt=0, le=1)
    """Fall of the 7-day engagement score against the 7 days before."""
    milestone_ahead_hours: float = Field(default=24.0, gt=0)
    """A milestone this close (or closer) makes `milestone` due."""
    reprofile_days: float = Field(default=90.0, gt=0)
    """Days since onboarding (or sign-up) after which re-profiling is due."""
    reprofile_achievements: int = Field(default=10, ge=1)
    """Achievements since onboarding after which re-profiling is due."""
    reprofile_on_drift: bool = True
    """Re-profiling is due when the user's interests drifted (insights' drift detection)."""
    hours_per_active_day: float = Field(default=2.0, gt=0)
    """How many of the profile's `hours_per_week` one active day stands for: the weekly goal
    is `ceil(hours_per_week / hours_per_active_day)` active days (at most 7), unless the
    profile sets `weekly_active_days`."""
    near_radius_km: float = Field(default=2.0, gt=0)
    """How close "near you now" is."""
    near_fresh_hours: float = Field(default=2.0, gt=0)
    """A stored context older than this no longer makes `near_now` due."""
    near_min_score: float = Field(default=0.0)
    """Lowest recommendation score an item needs to count as strong for this user."""
    enabled: list[TriggerName] = Field(default_factory=lambda: list(TRIGGERS))
    """The triggers that run."""
    priorities: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_PRIORITIES))
    """Priority per trigger, merged over the defaults."""

    # -- delivery ----------------------------------------------------------------------------
    max_per_day: int = Field(default=2, ge=0)
    """Nudges per user per local day, already queued or sent ones included."""
    max_per_week: int = Field(default=5, ge=0)
    """Nudges per user per 7 days."""
    quiet_start: int = Field(default=21, ge=0, le=23)
    """Quiet hours start (local hour of the user's time zone)."""
    quiet_end: int = Field(default=8, ge=0, le=23)
    """Quiet hours end (local hour); equal start and end means no quiet hours."""
    default_hour: int = Field(default=18, ge=0, le=23)
    """Delivery hour for users with too little history to learn theirs."""
    min_events_for_hour: int = Field(default=5, ge=1)
    """Events needed before a user's own active hours decide their delivery hour."""
    urgent: list[str] = Field(default_factory=lambda: ["milestone", "near_now"])
    """Triggers sent at once (outside quiet hours) instead of at the user's best hour."""
    channel: str | None = Field(default=None, min_length=1, max_length=16)
    """Channel used unless the user's profile names one (`preferred_channel`); None: the
    outbox's `default_channel` (webhook unless set)."""
    personalise: bool = True
    """Let the language model (when configured) rewrite the template in the user's terms."""
    max_message_chars: int = Field(default=280, ge=40)
    """Generated messages longer than this fall back to the template."""
    lookback_days: int = Field(default=90, ge=57)
    """History read per user for scores and triggers (velocity compares 8 weeks)."""
    crisis_lookback_days: int = Field(default=14, ge=0)
    """A crisis in the user's latest message within this many days holds back their nudges."""

    tenants: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Per-tenant overrides of any field above, e.g. `{"acme": {"max_per_day": 1}}`."""

    @model_validator(mode="after")
    def _tenants_are_valid(self) -> Self:
        for name in self.tenants:
            self.for_tenant(name)  # raises naming the bad field
        return self

    def priority(self, trigger: str) -> int:
        return {**DEFAULT_PRIORITIES, **self.priorities}.get(trigger, 0)

    def for_tenant(self, tenant: str) -> EngageConfig:
        """This section with the tenant's overrides applied."""
        own = self.tenants.get(tenant)
        if not own:
            return self
        if "tenants" in own:
            raise ValueError(f"tenants.{tenant}: overrides cannot nest 'tenants'")
        base = self.model_dump(exclude={"tenants"})
        return EngageConfig.model_validate({**base, **own})
