from datetime import UTC, datetime

from oncall.models import RotationLayer, Schedule, ScheduleOverride
from oncall.schedules import on_call_user_ids

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def _schedule(*layers, overrides=(), tz="Europe/Paris"):
    return Schedule(id="S1", name="s", time_zone=tz, layers=list(layers), overrides=list(overrides), created_at=CREATED)


def test_weekly_rotation_hands_off_at_local_time_across_dst():
    # given a weekly rotation handing off Mondays 09:00 Paris time, starting before the DST change
    layer = RotationLayer(users=["UA", "UB"], frequency="weekly", start=datetime(2026, 3, 23, 9, 0))
    schedule = _schedule(layer)
    # then the handoff stays at 09:00 local after clocks move (29 March 2026)
    assert on_call_user_ids(schedule, datetime(2026, 3, 30, 6, 59, tzinfo=UTC)) == ["UA"]  # 08:59 CEST
    assert on_call_user_ids(schedule, datetime(2026, 3, 30, 7, 0, tzinfo=UTC)) == ["UB"]  # 09:00 CEST


def test_later_layer_wins_and_overrides_win_over_layers():
    base = RotationLayer(users=["UA"], frequency="daily", start=datetime(2026, 1, 1, 0, 0))
    extra = RotationLayer(users=["UC"], frequency="daily", start=datetime(2026, 1, 1, 0, 0))
    at = datetime(2026, 2, 1, 12, tzinfo=UTC)
    assert on_call_user_ids(_schedule(base, extra), at) == ["UC"]
    override = ScheduleOverride(
        user_id="UO", start=datetime(2026, 2, 1, tzinfo=UTC), end=datetime(2026, 2, 2, tzinfo=UTC)
    )
    assert on_call_user_ids(_schedule(base, overrides=[override]), at) == ["UO"]


def test_custom_length_counts_real_time():
    layer = RotationLayer(
        users=["UA", "UB", "UC"], frequency="custom", shift_seconds=8 * 3600, start=datetime(2026, 1, 1, 0, 0)
    )
    schedule = _schedule(layer, tz="UTC")
    assert on_call_user_ids(schedule, datetime(2026, 1, 1, 17, tzinfo=UTC)) == ["UC"]
    assert on_call_user_ids(schedule, datetime(2026, 1, 2, 1, tzinfo=UTC)) == ["UA"]


def test_ical_users_are_added():
    schedule = _schedule(tz="UTC").model_copy(update={"ical_url": "https://cal.example/feed.ics"})
    assert on_call_user_ids(schedule, CREATED, ical=lambda url, at: ["UI"]) == ["UI"]
