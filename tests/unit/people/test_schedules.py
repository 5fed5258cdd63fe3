from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncall.models import RotationLayer, Schedule, ScheduleOverride
from oncall.people.schedules import IcalEvent, Shift, layer_user, on_call_user_ids, shift_index, shifts

CREATED = datetime(2026, 1, 1, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def _schedule(*layers, overrides=(), tz="Europe/Paris", ical_url=None):
    return Schedule(
        id="S1",
        name="s",
        time_zone=tz,
        layers=list(layers),
        overrides=list(overrides),
        ical_url=ical_url,
        created_at=CREATED,
    )


def _utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _local(zone, *parts) -> datetime:
    return datetime(*parts, tzinfo=zone).astimezone(UTC)


def _table(result: list[Shift], zone=UTC) -> list[tuple[str, str, str]]:
    return [
        (s.user_id, s.start.astimezone(zone).strftime("%m-%d %H:%M"), s.end.astimezone(zone).strftime("%m-%d %H:%M"))
        for s in result
    ]


# ------------------------------------------------------------------------------------------ wall clock and DST
def test_weekly_rotation_hands_off_at_local_time_across_dst():
    # given a weekly rotation handing off Mondays 09:00 Paris time, starting before the DST change
    layer = RotationLayer(users=["UA", "UB"], frequency="weekly", start=datetime(2026, 3, 23, 9, 0))
    schedule = _schedule(layer)
    # then the handoff stays at 09:00 local after clocks move (29 March 2026)
    assert on_call_user_ids(schedule, datetime(2026, 3, 30, 6, 59, tzinfo=UTC)) == ["UA"]  # 08:59 CEST
    assert on_call_user_ids(schedule, datetime(2026, 3, 30, 7, 0, tzinfo=UTC)) == ["UB"]  # 09:00 CEST


@pytest.mark.parametrize(
    ("zone", "day_before", "transition_day", "hours"),
    [
        (PARIS, (2026, 3, 28), (2026, 3, 29), 23),  # Europe springs forward
        (PARIS, (2026, 10, 24), (2026, 10, 25), 25),  # Europe falls back
        (NEW_YORK, (2026, 3, 7), (2026, 3, 8), 23),  # US springs forward
        (NEW_YORK, (2026, 10, 31), (2026, 11, 1), 25),  # US falls back
    ],
)
def test_daily_handoffs_stay_at_local_wall_clock_time_across_both_transitions(zone, day_before, transition_day, hours):
    # given a daily rotation handing off at 09:00 local time
    layer = RotationLayer(users=["UA", "UB"], frequency="daily", start=datetime(2026, 1, 1, 9, 0))
    schedule = _schedule(layer, tz=zone.key)
    # when the final shifts are computed over the days around a DST transition
    result = shifts(schedule, _local(zone, *day_before, 9, 0), _local(zone, *transition_day, 9, 0) + timedelta(days=2))
    # then every handoff is at 09:00 local, and the shift spanning the change is 23 or 25 real hours long
    assert [s.start.astimezone(zone).strftime("%H:%M") for s in result] == ["09:00"] * 3
    assert [(s.end - s.start) for s in result] == [timedelta(hours=hours), timedelta(days=1), timedelta(days=1)]
    assert [s.user_id for s in result] == (["UB", "UA", "UB"] if result[0].user_id == "UB" else ["UA", "UB", "UA"])


def test_hourly_and_custom_rotations_count_real_time_across_dst():
    # given an hourly and a 12-hour rotation in Paris, queried across the spring-forward night
    hourly = RotationLayer(users=["UA", "UB", "UC"], frequency="hourly", start=datetime(2026, 3, 28, 0, 0))
    custom = RotationLayer(users=["UA", "UB"], frequency="custom", shift_seconds=12 * 3600, start=datetime(2026, 3, 28))
    start, end = _utc(2026, 3, 28, 23), _utc(2026, 3, 29, 3)
    # then hourly shifts are exactly one real hour and keep their order (no skipped or doubled user)
    result = shifts(_schedule(hourly), start, end)
    assert [(s.end - s.start) for s in result] == [timedelta(hours=1)] * 4
    users = [s.user_id for s in result]
    assert all(users[i] != users[i + 1] for i in range(3)) and len(set(users[:3])) == 3
    # and 12-hour shifts are 12 real hours (handing off at 11:00 UTC = 13:00 CEST after the change)
    twelve = shifts(_schedule(custom), _utc(2026, 3, 28, 0), _utc(2026, 3, 30, 0))
    assert [s.start for s in twelve][1:] == [
        _utc(2026, 3, 28, 11),
        _utc(2026, 3, 28, 23),
        _utc(2026, 3, 29, 11),
        _utc(2026, 3, 29, 23),
    ]


def test_handoff_in_skipped_and_repeated_local_hours():
    # given a daily handoff at 02:30 Paris time
    layer = RotationLayer(users=["UA", "UB"], frequency="daily", start=datetime(2026, 1, 1, 2, 30))
    schedule = _schedule(layer)
    # when 02:30 does not exist (29 March), the handoff happens at the first valid instant after it: 03:30 CEST
    spring = shifts(schedule, _utc(2026, 3, 28, 12), _utc(2026, 3, 29, 12))
    assert spring[1].start == _utc(2026, 3, 29, 1, 30)
    # when 02:30 happens twice (25 October), the first occurrence (00:30 UTC) is the handoff ...
    autumn = shifts(schedule, _utc(2026, 10, 24, 12), _utc(2026, 10, 25, 12))
    assert autumn[1].start == _utc(2026, 10, 25, 0, 30)
    # ... and the point lookup agrees with it during the repeated hour (02:10 CET, the second 02:10)
    assert on_call_user_ids(schedule, _utc(2026, 10, 25, 1, 10)) == [autumn[1].user_id]
    assert on_call_user_ids(schedule, _utc(2026, 10, 25, 0, 20)) == [autumn[0].user_id]
    assert layer_user(layer, _utc(2026, 10, 25, 1, 10), "Europe/Paris") == autumn[1].user_id
    assert shift_index(layer, _utc(2026, 10, 25, 1, 10), "Europe/Paris") == shift_index(
        layer, _utc(2026, 10, 25, 0, 30), "Europe/Paris"
    )


def test_rotation_extends_before_its_start():
    layer = RotationLayer(users=["UA", "UB", "UC"], frequency="daily", start=datetime(2026, 6, 10, 9, 0))
    # the day before the first handoff belongs to the last user of the rotation
    assert on_call_user_ids(_schedule(layer, tz="UTC"), _utc(2026, 6, 9, 12)) == ["UC"]
    assert on_call_user_ids(_schedule(layer, tz="UTC"), _utc(2026, 6, 10, 9)) == ["UA"]


# ------------------------------------------------------------------------------------------ layers and overrides
def test_later_layer_wins_and_overrides_win_over_layers():
    base = RotationLayer(users=["UA"], frequency="daily", start=datetime(2026, 1, 1, 0, 0))
    extra = RotationLayer(users=["UC"], frequency="daily", start=datetime(2026, 1, 1, 0, 0))
    at = datetime(2026, 2, 1, 12, tzinfo=UTC)
    assert on_call_user_ids(_schedule(base, extra), at) == ["UC"]
    override = ScheduleOverride(
        user_id="UO", start=datetime(2026, 2, 1, tzinfo=UTC), end=datetime(2026, 2, 2, tzinfo=UTC)
    )
    assert on_call_user_ids(_schedule(base, overrides=[override]), at) == ["UO"]


def test_partial_later_layer_lets_the_earlier_layer_show_through():
    # given a weekly 24/7 layer and a later weekday-hours layer (09:00 + 8 h daily)
    night = RotationLayer(users=["UA", "UB"], frequency="weekly", start=datetime(2026, 6, 1, 0, 0))
    day = RotationLayer(users=["UD"], frequency="daily", duration=8 * 3600, start=datetime(2026, 6, 1, 9, 0))
    result = shifts(_schedule(night, day, tz="UTC"), _utc(2026, 6, 1), _utc(2026, 6, 3))
    # then the day layer covers 09:00–17:00 and the 24/7 layer the rest
    assert _table(result) == [
        ("UA", "06-01 00:00", "06-01 09:00"),
        ("UD", "06-01 09:00", "06-01 17:00"),
        ("UA", "06-01 17:00", "06-02 09:00"),
        ("UD", "06-02 09:00", "06-02 17:00"),
        ("UA", "06-02 17:00", "06-03 00:00"),
    ]


def test_override_splits_a_shift_and_merges_with_an_equal_neighbour():
    layer = RotationLayer(users=["UA", "UB"], frequency="daily", start=datetime(2026, 6, 1, 0, 0))
    overrides = [
        # someone else takes 12:00–14:00 of UA's day
        ScheduleOverride(user_id="UX", start=_utc(2026, 6, 1, 12), end=_utc(2026, 6, 1, 14)),
        # UB extends their own shift by two hours into UA's day: one merged shift
        ScheduleOverride(user_id="UB", start=_utc(2026, 6, 3, 0), end=_utc(2026, 6, 3, 2)),
    ]
    result = shifts(_schedule(layer, overrides=overrides, tz="UTC"), _utc(2026, 6, 1), _utc(2026, 6, 4))
    assert _table(result) == [
        ("UA", "06-01 00:00", "06-01 12:00"),
        ("UX", "06-01 12:00", "06-01 14:00"),
        ("UA", "06-01 14:00", "06-02 00:00"),
        ("UB", "06-02 00:00", "06-03 02:00"),
        ("UA", "06-03 02:00", "06-04 00:00"),
    ]


def test_overlapping_overrides_put_both_users_on_call():
    layer = RotationLayer(users=["UA"], frequency="weekly", start=datetime(2026, 6, 1))
    overrides = [
        ScheduleOverride(user_id="UX", start=_utc(2026, 6, 1, 10), end=_utc(2026, 6, 1, 14)),
        ScheduleOverride(user_id="UY", start=_utc(2026, 6, 1, 12), end=_utc(2026, 6, 1, 16)),
    ]
    schedule = _schedule(layer, overrides=overrides, tz="UTC")
    assert on_call_user_ids(schedule, _utc(2026, 6, 1, 13)) == ["UX", "UY"]
    assert _table(shifts(schedule, _utc(2026, 6, 1, 9), _utc(2026, 6, 1, 17))) == [
        ("UA", "06-01 09:00", "06-01 10:00"),
        ("UX", "06-01 10:00", "06-01 14:00"),
        ("UY", "06-01 12:00", "06-01 16:00"),
        ("UA", "06-01 16:00", "06-01 17:00"),
    ]


def test_custom_length_counts_real_time():
    layer = RotationLayer(
        users=["UA", "UB", "UC"], frequency="custom", shift_seconds=8 * 3600, start=datetime(2026, 1, 1, 0, 0)
    )
    schedule = _schedule(layer, tz="UTC")
    assert on_call_user_ids(schedule, datetime(2026, 1, 1, 17, tzinfo=UTC)) == ["UC"]
    assert on_call_user_ids(schedule, datetime(2026, 1, 2, 1, tzinfo=UTC)) == ["UA"]


def test_empty_schedule_and_empty_window():
    assert shifts(_schedule(), _utc(2026, 1, 1), _utc(2026, 1, 2)) == []
    layer = RotationLayer(users=["UA"], frequency="daily", start=datetime(2026, 1, 1))
    assert shifts(_schedule(layer), _utc(2026, 1, 2), _utc(2026, 1, 1)) == []
    assert on_call_user_ids(_schedule(RotationLayer(users=[], start=datetime(2026, 1, 1))), CREATED) == []


# ------------------------------------------------------------------------------------------ ical on the timeline
def test_ical_users_are_added():
    schedule = _schedule(tz="UTC").model_copy(update={"ical_url": "https://cal.example/feed.ics"})
    assert on_call_user_ids(schedule, CREATED, ical=lambda url, at: ["UI"]) == ["UI"]


class _Feed:
    def __init__(self, events):
        self._events = events

    def __call__(self, url, at):
        return [u for e in self._events if e.start <= at < e.end for u in e.user_ids]

    def events(self, url, start, end, time_zone="UTC"):
        return [e for e in self._events if e.start < end and e.end > start]


def test_ical_events_become_shifts_and_overrides_still_win():
    feed = _Feed([IcalEvent(_utc(2026, 6, 1, 9), _utc(2026, 6, 1, 17), ("UI", "UJ"))])
    override = ScheduleOverride(user_id="UO", start=_utc(2026, 6, 1, 12), end=_utc(2026, 6, 1, 13))
    schedule = _schedule(overrides=[override], tz="UTC", ical_url="https://cal.example/f.ics")
    assert _table(shifts(schedule, _utc(2026, 6, 1), _utc(2026, 6, 2), feed)) == [
        ("UI", "06-01 09:00", "06-01 12:00"),
        ("UJ", "06-01 09:00", "06-01 12:00"),
        ("UO", "06-01 12:00", "06-01 13:00"),
        ("UI", "06-01 13:00", "06-01 17:00"),
        ("UJ", "06-01 13:00", "06-01 17:00"),
    ]
    assert on_call_user_ids(schedule, _utc(2026, 6, 1, 10), feed) == ["UI", "UJ"]
    with pytest.raises(TypeError):
        shifts(schedule, _utc(2026, 6, 1), _utc(2026, 6, 2), lambda url, at: [])


# ------------------------------------------------------------------------------------------ one timeline
@settings(max_examples=60, deadline=None)
@given(
    minutes=st.integers(min_value=0, max_value=60 * 24 * 20),
    frequency=st.sampled_from(["hourly", "daily", "weekly", "custom"]),
    duration_hours=st.sampled_from([None, 1, 8]),
    zone=st.sampled_from(["Europe/Paris", "America/New_York", "UTC"]),
)
def test_point_lookup_agrees_with_the_shifts(minutes, frequency, duration_hours, zone):
    # given two layers and an override around the autumn transitions
    layers = [
        RotationLayer(users=["UA", "UB"], frequency="weekly", start=datetime(2026, 10, 19, 2, 30)),
        RotationLayer(
            users=["UC", "UD", "UE"],
            frequency=frequency,
            shift_seconds=5 * 3600 if frequency == "custom" else None,
            duration=duration_hours * 3600 if duration_hours and frequency in ("daily", "weekly") else None,
            start=datetime(2026, 10, 20, 2, 15),
        ),
    ]
    override = ScheduleOverride(user_id="UO", start=_utc(2026, 10, 25, 0, 45), end=_utc(2026, 10, 25, 3))
    schedule = _schedule(*layers, overrides=[override], tz=zone)
    window_start = _utc(2026, 10, 20)
    timeline = shifts(schedule, window_start, window_start + timedelta(days=21))
    at = window_start + timedelta(minutes=minutes)
    # then whoever on_call_user_ids names at any minute is exactly who the shifts cover at that minute
    assert on_call_user_ids(schedule, at) == [s.user_id for s in timeline if s.start <= at < s.end]
    # and shifts of one user never touch or overlap (they are merged)
    for user in {s.user_id for s in timeline}:
        own = [s for s in timeline if s.user_id == user]
        assert all(a.end < b.start for a, b in zip(own, own[1:], strict=False))
