"""Nudge triggers on replayed timelines: each fires exactly when its threshold is reached
(and not an hour before), once per period, within caps, outside quiet hours."""

from __future__ import annotations

import pytest

from rapport.engine import Engine
from tests.engage_world import DAY, T0, H, event, queue, triggers, user


def test_inactivity_fires_24_hours_after_the_last_activity(engine: Engine) -> None:
    user(engine, "ana")
    event(engine, "ana", "view", T0)
    event(engine, "ana", "nudge_delivered", T0 + 20 * H)  # a delivery is not the user's doing
    assert "inactivity" not in triggers(engine, T0 + 23 * H)
    due = triggers(engine, T0 + 24 * H)["inactivity"]
    assert due.period == "since-2026-03-10T12:00:00Z"
    assert due.priority == 80 and "24 hours" in due.reasons[0]
    # Later in the same idle spell it is the same episode (same period).
    assert triggers(engine, T0 + 50 * H)["inactivity"].period == due.period
    # A later event starts a new clock.
    event(engine, "ana", "click", T0 + 30 * H)
    assert "inactivity" not in triggers(engine, T0 + 53 * H)
    assert triggers(engine, T0 + 54 * H)["inactivity"].period == "since-2026-03-11T18:00:00Z"


def test_progress_stagnation_fires_three_days_after_the_last_progress(engine: Engine) -> None:
    user(engine, "ben")
    event(engine, "ben", "complete", T0, "course-1")
    for day in range(1, 5):  # still active every day, but no progress
        event(engine, "ben", "view", T0 + day * DAY - H)
    assert "progress_stagnation" not in triggers(engine, T0 + 3 * DAY - H)
    due = triggers(engine, T0 + 3 * DAY)["progress_stagnation"]
    assert due.period == "since-2026-03-10T12:00:00Z"
    assert "inactivity" not in triggers(engine, T0 + 3 * DAY)
    # Never any progress: nothing can stagnate.
    user(engine, "new")
    event(engine, "new", "view", T0)
    assert "progress_stagnation" not in triggers(engine, T0 + 10 * DAY, "new")


def test_an_inactive_user_gets_inactivity_not_also_stagnation(sqlite_engine: Engine) -> None:
    user(sqlite_engine, "cy")
    event(sqlite_engine, "cy", "complete", T0, "course-1")
    due = triggers(sqlite_engine, T0 + 4 * DAY)
    assert "inactivity" in due and "progress_stagnation" not in due


def test_goal_deviation_fires_when_an_active_day_leaves_the_week(sqlite_engine: Engine) -> None:
    # 6 hours a week at 2 hours per active day: a goal of 3 active days.
    user(sqlite_engine, "dee", profile={"hours_per_week": 6})
    for days_before in (6, 3, 1):
        event(sqlite_engine, "dee", "view", T0 - days_before * DAY)
    assert "goal_deviation" not in triggers(sqlite_engine, T0)
    # The first day leaves the 7-day window at T0 + 1 day: 2 of 3 days, deviation 0.33.
    assert "goal_deviation" not in triggers(sqlite_engine, T0 + DAY - H)
    due = triggers(sqlite_engine, T0 + DAY)["goal_deviation"]
    assert "2 of 3" in due.reasons[0] and due.period == "2026-W11"
    assert "3 active days" in due.message and "2 so far" in due.message
    # An explicit weekly goal wins over hours; no goal at all, no trigger.
    user(sqlite_engine, "eve", profile={"hours_per_week": 6, "weekly_active_days": 2})
    for days_before in (6, 1):
        event(sqlite_engine, "eve", "view", T0 - days_before * DAY)
    assert "goal_deviation" not in triggers(sqlite_engine, T0, "eve")
    user(sqlite_engine, "fay", profile={})
    event(sqlite_engine, "fay", "view", T0 - 2 * DAY)
    assert "goal_deviation" not in triggers(sqlite_engine, T0, "fay")


def test_motivation_drop_fires_when_engagement_falls_by_0_2(sqlite_engine: Engine) -> None:
    user(sqlite_engine, "gil")
    for day in range(1, 14):
        event(sqlite_engine, "gil", "view", T0 - day * DAY)
    for item in ("a", "b"):  # two completions exactly 7 days before T0
        event(sqlite_engine, "gil", "complete", T0 - 7 * DAY, item)
    before = sqlite_engine.engage.scores("gil", T0 - H)
    after = sqlite_engine.engage.scores("gil", T0)
    assert before.motivation_trend > -0.2 >= after.motivation_trend
    assert "motivation_drop" not in triggers(sqlite_engine, T0 - H)
    due = triggers(sqlite_engine, T0)["motivation_drop"]
    assert f"{after.previous_engagement:.2f}" in due.reasons[0]
    assert "progress" in due.reasons[1]  # the feature that fell most
    assert "photography" in due.message


def test_milestone_fires_a_day_before_the_start(engine: Engine) -> None:
    starts = T0 + 3 * DAY
    engine.items.add(
        [
            {"id": "ws", "kind": "event", "title": "Darkroom workshop", "starts_at": starts,
             "ends_at": starts + 3 * H},
            {"id": "job", "kind": "opportunity", "title": "Photo internship",
             "starts_at": T0 - 10 * DAY, "ends_at": T0 + 5 * DAY},
            {"id": "gig", "kind": "event", "title": "Evening gig", "starts_at": T0 + 2 * DAY,
             "ends_at": T0 + 2 * DAY + 3 * H},
        ],
        index=False,
    )  # fmt: skip
    user(engine, "hal", timezone="Europe/Lisbon")
    event(engine, "hal", "enroll", T0, "ws")
    event(engine, "hal", "save", T0, "job")
    event(engine, "hal", "view", T0, "gig")  # only looked at it: no milestone
    assert "milestone" not in triggers(engine, starts - 25 * H)
    due = triggers(engine, starts - 24 * H)["milestone"]
    assert due.item_id == "ws" and "Darkroom workshop starts" in due.message
    assert due.send_at == starts - 24 * H  # urgent: at once (12:00 Lisbon is not quiet)
    assert "milestone" not in triggers(engine, starts)  # started: too late
    # A saved application's deadline, a day ahead.
    deadline = T0 + 5 * DAY
    assert "milestone" not in triggers(engine, deadline - 25 * H, "hal")
    closing = engine.engage.nudges(deadline - 24 * H, "hal")
    assert [n.item_id for n in closing if n.trigger == "milestone"] == ["job"]
    assert "closes" in closing[0].message


def test_reprofiling_after_90_days_or_10_achievements(sqlite_engine: Engine) -> None:
    created = T0 - 60 * DAY
    user(sqlite_engine, "ida", created_at=created.isoformat())
    event(sqlite_engine, "ida", "view", created + 89 * DAY)
    assert "reprofile" not in triggers(sqlite_engine, created + 90 * DAY - H)
    due = triggers(sqlite_engine, created + 90 * DAY)["reprofile"]
    assert due.period == f"onboarding-{created:%Y%m%d}" and "90 days" in due.reasons[0]

    user(sqlite_engine, "jo", created_at=(T0 - 10 * DAY).isoformat())
    for n in range(9):
        event(sqlite_engine, "jo", "complete", T0 - 5 * DAY + n * H, f"c{n}")
    event(sqlite_engine, "jo", "view", T0 - H)
    assert "reprofile" not in triggers(sqlite_engine, T0, "jo")
    event(sqlite_engine, "jo", "complete", T0 - H, "c9")
    due = triggers(sqlite_engine, T0, "jo")["reprofile"]
    assert "10 achievements" in due.reasons[0]


def test_reprofiling_when_interests_drift(sqlite_engine: Engine) -> None:
    sqlite_engine.items.add(
        [{"id": f"p{n}", "title": f"Photo {n}", "categories": ["photography"]} for n in range(8)]
        + [{"id": f"c{n}", "title": f"Cook {n}", "categories": ["cooking"]} for n in range(4)],
        index=False,
    )
    user(sqlite_engine, "kim", created_at=(T0 - 20 * DAY).isoformat())
    for n in range(8):
        event(sqlite_engine, "kim", "like", T0 - (15 - n) * DAY, f"p{n}")
    for n in range(4):
        event(sqlite_engine, "kim", "like", T0 - (4 - n) * DAY, f"c{n}")
    due = triggers(sqlite_engine, T0, "kim")["reprofile"]
    assert due.period == "drift-2026-03" and "cooking" in due.reasons[0]


def test_once_per_period_and_frequency_caps(engine: Engine) -> None:
    user(engine, "lu", profile={"hours_per_week": 14})
    event(engine, "lu", "complete", T0 - 8 * DAY, "c1")
    event(engine, "lu", "view", T0 - 2 * DAY)
    plan = engine.engage.plan(T0)
    # Due: inactivity (80), goal deviation (70); the default cap is 2 a day.
    assert [n.trigger for n in plan.nudges] == ["inactivity", "goal_deviation"]
    inactivity = plan.nudges[0]
    # The outbox holds the inactivity nudge: that period is done, and it uses up the cap.
    queue(engine, "lu", "inactivity", inactivity.period, inactivity.send_at)
    plan = engine.engage.plan(T0 + H)
    assert [n.trigger for n in plan.nudges] == ["goal_deviation"]
    assert any(
        h.trigger == "inactivity" and h.reason == "already sent for this period" for h in plan.held
    )
    queue(engine, "lu", "other", "x", plan.nudges[0].send_at)  # the day is now full
    plan = engine.engage.plan(T0 + H)
    assert plan.nudges == [] and any("daily cap of 2" in h.reason for h in plan.held)
    # Failed and cancelled rows reached no one: they do not count towards the caps.
    user(engine, "mo", profile={"hours_per_week": 14})
    event(engine, "mo", "view", T0 - 2 * DAY)
    for status in ("failed", "cancelled"):
        queue(engine, "mo", status, status, inactivity.send_at, status=status)
    assert len(engine.engage.nudges(T0, "mo")) == 2


def test_weekly_cap(sqlite_engine: Engine) -> None:
    user(sqlite_engine, "ned", profile={"hours_per_week": 14})
    event(sqlite_engine, "ned", "view", T0 - 2 * DAY)
    for day in range(1, 6):
        queue(sqlite_engine, "ned", "old", f"d{day}", T0 - day * DAY)
    plan = sqlite_engine.engage.plan(T0)
    assert plan.nudges == []
    assert {h.reason for h in plan.held} == {"weekly cap of 5 reached"}


def test_quiet_hours_and_best_hour_across_time_zones(sqlite_engine: Engine) -> None:
    # 13:00 UTC is 22:00 in Tokyo and 06:00 in Los Angeles: both inside quiet hours.
    at = T0.replace(hour=13)
    starts = at + 20 * H
    sqlite_engine.items.add(
        [{"id": "talk", "title": "Lens talk", "starts_at": starts, "ends_at": starts + H}],
        index=False,
    )
    for name, zone in (("tokyo", "Asia/Tokyo"), ("la", "America/Los_Angeles")):
        user(sqlite_engine, name, timezone=zone)
        event(sqlite_engine, name, "enroll", at - H, "talk")
    due = {n.user_id: n for n in sqlite_engine.engage.nudges(at) if n.trigger == "milestone"}
    # Urgent, so sent when quiet hours end at 08:00 local: the same moment in UTC differs.
    assert due["tokyo"].send_at == T0.replace(hour=23)  # 08:00 JST next day
    assert due["la"].send_at == T0.replace(hour=15)  # 08:00 PDT
    assert due["tokyo"].timezone == "Asia/Tokyo"


def test_best_hour_is_learned_from_the_users_active_hours(sqlite_engine: Engine) -> None:
    # Ten evenings at 19:xx in Tokyo (10:xx UTC), one morning at 07:00.
    user(sqlite_engine, "oto", timezone="Asia/Tokyo", profile={"hours_per_week": 14})
    for day in range(3, 13):
        event(sqlite_engine, "oto", "view", T0.replace(hour=10, minute=15) - day * DAY)
    event(sqlite_engine, "oto", "view", T0.replace(hour=22) - 3 * DAY)
    nudge = triggers(sqlite_engine, T0, "oto")["inactivity"]
    assert (nudge.delivery_hour, nudge.hour_learned) == (19, True)
    assert nudge.send_at == T0 + 22 * H  # 12:00 UTC is 21:00 JST: tomorrow 19:00 JST
    # Too little history: the default hour (18:00 local).
    user(sqlite_engine, "pia", timezone="America/Los_Angeles", profile={"hours_per_week": 14})
    event(sqlite_engine, "pia", "view", T0 - 3 * DAY)
    nudge = triggers(sqlite_engine, T0, "pia")["inactivity"]
    assert (nudge.delivery_hour, nudge.hour_learned) == (18, False)
    assert nudge.send_at == T0 + 13 * H  # 05:00 PDT now: 18:00 PDT is 01:00 UTC next day


def test_consent_and_tenant_overrides(tmp_path, embedder) -> None:  # type: ignore[no-untyped-def]
    engage = {"tenants": {"acme": {"inactivity_hours": 48, "channel": "email"}}}
    with Engine(data=tmp_path, embedder=embedder, engage=engage) as engine:
        for tenant in ("default", "acme"):
            engine.users.add([{"id": "q", "created_at": T0 - 30 * DAY}], tenant=tenant)
            engine.users.add(
                [{"id": "r", "consent": False, "created_at": T0 - 30 * DAY}], tenant=tenant
            )
            engine.events.add(
                [{"user_id": u, "type": "view", "timestamp": T0 - 30 * H} for u in "qr"],
                tenant=tenant,
            )
        plain = engine.engage.plan(T0)
        assert [(n.user_id, n.trigger, n.channel) for n in plain.nudges] == [
            ("q", "inactivity", None)  # the outbox's default channel
        ]
        assert any(h.user_id == "r" and h.reason == "no consent" for h in plain.held)
        assert engine.engage.nudges(T0, tenant="acme") == []
        late = engine.engage.nudges(T0 + 18 * H, tenant="acme")
        assert [(n.trigger, n.channel) for n in late] == [("inactivity", "email")]


def test_scores_and_their_drivers(sqlite_engine: Engine) -> None:
    user(sqlite_engine, "rae", timezone="Asia/Tokyo")
    for day in range(7):  # every day of the week, 3 events a day, one of them progress
        for n, kind in enumerate(("view", "click", "complete")):
            event(sqlite_engine, "rae", kind, T0 - day * DAY - n * H, f"i{day}{n}")
    event(sqlite_engine, "rae", "enroll", T0 - 20 * DAY, "course")
    event(sqlite_engine, "rae", "view", T0 + H)  # after `at`: ignored
    scores = sqlite_engine.engage.scores("rae", T0)
    assert scores.engagement.value == pytest.approx(1.0)
    assert {d.feature: d.value for d in scores.engagement.drivers} == {
        "active_days": 1.0,
        "volume": 1.0,
        "progress": 1.0,
    }
    # 7 completions (1 step each) and an enrolment (0.5) in 4 weeks.
    assert scores.learning_velocity.value == pytest.approx(7.5 / 4)
    assert scores.learning_velocity.drivers[0].feature == "complete"
    # Nothing the week before: engagement rose by 1, motivation is at its top.
    assert scores.previous_engagement == 0.0 and scores.motivation.value == 1.0
    assert scores.abandonment_risk is None
    quiet_week = sqlite_engine.engage.scores("rae", T0 + 8 * DAY)
    # 8 days on, the busy week (all but its first day) is the week before and nothing since.
    assert quiet_week.engagement.value == 0.0
    assert quiet_week.motivation_trend == -quiet_week.previous_engagement < -0.9
    assert quiet_week.motivation.value == pytest.approx(
        0.5 + quiet_week.motivation_trend / 2, abs=1e-4
    )
    assert quiet_week.motivation.drivers[0].contribution < 0


def test_preferred_channel_from_the_profile(sqlite_engine: Engine) -> None:
    user(sqlite_engine, "sam", profile={"preferred_channel": "email"})
    event(sqlite_engine, "sam", "view", T0 - 2 * DAY)
    assert triggers(sqlite_engine, T0)["inactivity"].channel == "email"


def test_periods_fit_the_outbox_also_for_long_item_ids(sqlite_engine: Engine) -> None:
    long_id = "course-" + "x" * 200
    starts = T0 + 10 * H
    sqlite_engine.items.add(
        [{"id": long_id, "title": "Long", "starts_at": starts, "ends_at": starts + H}],
        index=False,
    )
    user(sqlite_engine, "tao")
    event(sqlite_engine, "tao", "enroll", T0 - H, long_id)
    nudge = triggers(sqlite_engine, T0)["milestone"]
    assert nudge.item_id == long_id and len(nudge.period) <= 64
    assert nudge.period == triggers(sqlite_engine, T0 + H)["milestone"].period  # stable


def test_a_queued_nudge_is_still_due_only_while_its_trigger_holds(engine: Engine) -> None:
    user(engine, "uma")
    event(engine, "uma", "view", T0)
    nudge = triggers(engine, T0 + 24 * H)["inactivity"]
    queue(engine, "uma", "inactivity", nudge.period, nudge.send_at)
    # Queued: no longer listed, but its trigger still holds until the user comes back.
    assert "inactivity" not in triggers(engine, T0 + 25 * H)
    assert engine.engage.still_due("uma", "inactivity", nudge.period, T0 + 30 * H)
    event(engine, "uma", "click", T0 + 31 * H)
    assert not engine.engage.still_due("uma", "inactivity", nudge.period, T0 + 32 * H)
    assert not engine.engage.still_due("uma", "milestone", nudge.period, T0 + 30 * H)


def test_long_gone_users_are_left_to_the_abandonment_model(sqlite_engine: Engine) -> None:
    user(sqlite_engine, "vic", created_at=(T0 - 400 * DAY).isoformat())
    event(sqlite_engine, "vic", "complete", T0 - 31 * DAY, "c1")
    assert triggers(sqlite_engine, T0 - DAY)["inactivity"].period == "since-2026-02-07T12:00:00Z"
    assert "inactivity" not in triggers(sqlite_engine, T0 + H)  # 30 days and an hour
    assert "reprofile" in triggers(sqlite_engine, T0)  # 400 days, active within 90
    assert "reprofile" not in triggers(sqlite_engine, T0 + 90 * DAY)
