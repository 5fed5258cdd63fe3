"""The shift math of OnCall's on-call shifts (oncall.people.on_call_shifts) and how schedules combine them: pure,
times given explicitly (the escalation passes its clock's now)."""

from __future__ import annotations

from datetime import UTC, datetime

from oncall.models import OnCallShift, RotationLayer, Schedule
from oncall.people import schedules
from oncall.people.on_call_shifts import events, users_at

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def _shift(**fields) -> OnCallShift:
    values = {"id": "O1", "name": "s", "type": "rolling_users", "start": datetime(2026, 3, 2, 9), "duration": 3600}
    return OnCallShift(**{**values, **fields, "created_at": CREATED})


def _at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_weekly_rotation_hands_over_each_week_from_the_chosen_user():
    # given a weekly rotation of three, starting with the second (Monday 2 March 2026, 09:00 UTC)
    shift = _shift(
        frequency="weekly",
        duration=7 * 86400,
        week_start="MO",
        rolling_users=[["alice"], ["bob"], ["carol"]],
        start_rotation_from_user_index=1,
    )
    assert users_at(shift, _at(2026, 3, 2, 9)) == ("bob",)
    assert users_at(shift, _at(2026, 3, 9, 8, 59)) == ("bob",)
    assert users_at(shift, _at(2026, 3, 9, 9)) == ("carol",)
    assert users_at(shift, _at(2026, 3, 16, 9)) == ("alice",)
    assert users_at(shift, _at(2026, 3, 2, 8, 59)) == ()  # before the first event


def test_weekday_business_hours_and_nobody_at_night_or_at_the_weekend():
    shift = _shift(
        type="recurrent_event",
        frequency="daily",
        duration=8 * 3600,
        by_day=["MO", "TU", "WE", "TH", "FR"],
        users=["alice", "bob"],
    )
    assert users_at(shift, _at(2026, 3, 4, 12)) == ("alice", "bob")  # Wednesday noon: together
    assert users_at(shift, _at(2026, 3, 4, 17)) == ()  # 17:00: over
    assert users_at(shift, _at(2026, 3, 7, 12)) == ()  # Saturday


def test_a_weekly_rotation_on_weekdays_keeps_one_user_all_week():
    shift = _shift(
        frequency="weekly",
        week_start="MO",
        by_day=["MO", "TU", "WE", "TH", "FR"],
        duration=8 * 3600,
        rolling_users=[["alice"], ["bob"]],
    )
    assert {users_at(shift, _at(2026, 3, day, 10)) for day in (2, 3, 4, 5, 6)} == {("alice",)}
    assert {users_at(shift, _at(2026, 3, day, 10)) for day in (9, 10, 13)} == {("bob",)}


def test_every_second_day_hands_over_every_second_day():
    shift = _shift(frequency="daily", interval=2, duration=2 * 86400, rolling_users=[["alice"], ["bob"]])
    assert [users_at(shift, _at(2026, 3, day, 10)) for day in (2, 3, 4, 5, 6)] == [
        ("alice",),
        ("alice",),
        ("bob",),
        ("bob",),
        ("alice",),
    ]


def test_wall_clock_time_is_kept_across_daylight_saving():
    # a daily 09:00 event in Berlin: 08:00 UTC before 29 March 2026, 07:00 UTC after
    shift = _shift(type="recurrent_event", frequency="daily", time_zone="Europe/Berlin", users=["alice"])
    starts = [begin for begin, _, _ in events(shift, _at(2026, 3, 28), _at(2026, 3, 31))]
    assert starts == [_at(2026, 3, 28, 8), _at(2026, 3, 29, 7), _at(2026, 3, 30, 7)]


def test_until_and_rotation_start_bound_the_events():
    shift = _shift(
        type="recurrent_event",
        frequency="daily",
        users=["alice"],
        rotation_start=datetime(2026, 3, 4, 0),
        until=datetime(2026, 3, 6, 23),
    )
    days = [begin.day for begin, _, _ in events(shift, _at(2026, 3, 1), _at(2026, 3, 10))]
    assert days == [4, 5, 6]


def test_a_monthly_rotation_hands_over_each_month():
    shift = _shift(frequency="monthly", duration=3 * 86400, rolling_users=[["alice"], ["bob"]])
    assert users_at(shift, _at(2026, 3, 3, 10)) == ("alice",)
    assert users_at(shift, _at(2026, 4, 3, 10)) == ("bob",)
    assert users_at(shift, _at(2026, 4, 10, 10)) == ()


def test_a_single_event_and_its_window():
    shift = _shift(type="single_event", duration=3600, users=["alice"])
    assert events(shift, _at(2026, 3, 1), _at(2026, 3, 31)) == [(_at(2026, 3, 2, 9), _at(2026, 3, 2, 10), ("alice",))]
    assert users_at(shift, _at(2026, 3, 2, 10)) == ()


# ------------------------------------------------------------------------------------------ in a schedule
def _schedule(*shifts: OnCallShift, layers=()) -> Schedule:
    return Schedule(id="S1", name="s", created_at=CREATED, layers=list(layers), on_call_shifts=list(shifts))


def test_higher_levels_win_same_levels_share_and_overrides_win_over_all():
    base = _shift(id="O1", type="recurrent_event", frequency="daily", duration=86400, users=["alice"], level=0)
    same = _shift(id="O2", type="recurrent_event", frequency="daily", duration=86400, users=["bob"], level=0)
    day = _shift(
        id="O3",
        type="recurrent_event",
        frequency="daily",
        start=datetime(2026, 3, 2, 12),
        duration=3600,
        users=["carol"],
        level=1,
    )
    override = _shift(id="O4", type="override", start=datetime(2026, 3, 3, 12, 30), duration=600, users=["dave"])
    schedule = _schedule(base, same, day, override)
    assert schedules.on_call_user_ids(schedule, _at(2026, 3, 3, 10)) == ["alice", "bob"]
    assert schedules.on_call_user_ids(schedule, _at(2026, 3, 3, 12, 10)) == ["carol"]
    assert schedules.on_call_user_ids(schedule, _at(2026, 3, 3, 12, 35)) == ["dave"]


def test_shifts_win_over_the_schedules_own_layers_where_they_have_someone():
    layer = RotationLayer(users=["erin"], frequency="daily", start=datetime(2026, 1, 1, 0))
    day = _shift(
        type="recurrent_event", frequency="daily", start=datetime(2026, 3, 2, 9), duration=8 * 3600, users=["alice"]
    )
    schedule = _schedule(day, layers=[layer])
    assert schedules.on_call_user_ids(schedule, _at(2026, 3, 3, 10)) == ["alice"]
    assert schedules.on_call_user_ids(schedule, _at(2026, 3, 3, 20)) == ["erin"]


def test_the_shifts_are_never_stored_with_the_schedule():
    schedule = _schedule(_shift(users=["alice"], rolling_users=[["alice"]], frequency="daily"))
    assert "on_call_shifts" not in schedule.model_dump(mode="json")


def test_a_taken_swap_puts_the_benefactor_in_the_beneficiarys_place_for_its_time_only():
    from oncall.models import ShiftSwap

    rotation = _shift(frequency="weekly", duration=7 * 86400, week_start="MO", rolling_users=[["alice"], ["bob"]])
    swap = ShiftSwap(
        id="SSR1",
        schedule_id="S1",
        swap_start=_at(2026, 3, 3, 0),
        swap_end=_at(2026, 3, 4, 0),
        beneficiary="alice",
        benefactor="carol",
        created_at=CREATED,
        updated_at=CREATED,
    )
    schedule = _schedule(rotation).model_copy(update={"taken_swaps": [swap]})
    assert schedules.on_call_user_ids(schedule, _at(2026, 3, 2, 12)) == ["alice"]
    assert schedules.on_call_user_ids(schedule, _at(2026, 3, 3, 12)) == ["carol"]
    assert schedules.on_call_user_ids(schedule, _at(2026, 3, 4, 12)) == ["alice"]
    assert schedules.on_call_user_ids(schedule, _at(2026, 3, 10, 12)) == ["bob"]
    assert "taken_swaps" not in schedule.model_dump(mode="json")
