"""Creating, changing and deleting OnCall on-call shifts, and attaching them to the schedules that use them
(a schedule's `shifts`, or a shift's `schedule_id`). The math is in on_call_shifts.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from oncall.models import OnCallShift, Schedule, ShiftSwap
from oncall.people.requests import OnCallShiftPatch, OnCallShiftWrite
from oncall.people.users import check_time_zone, revalidate
from oncall.platform import ids
from oncall.platform.clock import Clock
from oncall.platform.errors import NotFoundError, ValidationError
from oncall.storage.protocols import PeopleStore, ScheduleStore

_RECURRING = ("recurrent_event", "rolling_users")


class ShiftStore(ScheduleStore, PeopleStore, Protocol):
    """Shifts are checked against the users and teams they name."""


def _field(name: str, message: str) -> ValidationError:
    return ValidationError(f"{name}: {message}", {name: [message]})


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(zone).replace(tzinfo=None) if moment.tzinfo else moment


def _build(request: OnCallShiftWrite, *, shift_id: str, created_at: datetime, store: ShiftStore) -> OnCallShift:
    if request.time_zone is not None:
        check_time_zone(request.time_zone, "time_zone")
    zone = ZoneInfo(request.time_zone or "UTC")
    recurring = request.type in _RECURRING
    if recurring and request.frequency is None:
        raise _field("frequency", f"A {request.type} shift needs a frequency (hourly, daily, weekly or monthly).")
    if not recurring and request.frequency is not None:
        raise _field("frequency", f"A {request.type} shift happens once: it has no frequency.")
    if request.type == "rolling_users":
        if not request.rolling_users or not any(request.rolling_users):
            raise _field("rolling_users", "A rolling_users shift needs rolling_users (a list of user groups).")
        if request.users:
            raise _field("users", "A rolling_users shift names its users in rolling_users.")
    elif not request.users:
        raise _field("users", f"A {request.type} shift needs users.")
    elif request.rolling_users:
        raise _field("rolling_users", f"Only rolling_users shifts have rolling_users, not {request.type}.")
    named = {*(request.users or []), *(u for group in request.rolling_users or [] for u in group)}
    if missing := sorted(u for u in named if store.get_user(u) is None):
        raise _field("users", f"No user with id {', '.join(missing)}.")
    if request.team_id is not None and store.get_team(request.team_id) is None:
        raise _field("team_id", f"No team with id {request.team_id}.")
    if request.schedule_id is not None and store.get_schedule(request.schedule_id) is None:
        raise _field("schedule_id", f"No schedule with id {request.schedule_id}.")
    start, until = _local(request.start, zone), _local(request.until, zone)
    if until is not None and until < start:
        raise _field("until", "until is before start.")
    return OnCallShift(
        id=shift_id,
        name=request.name,
        type=request.type,
        schedule_id=request.schedule_id,
        team_id=request.team_id,
        time_zone=request.time_zone,
        level=request.level,
        start=start,
        rotation_start=_local(request.rotation_start, zone),
        duration=request.duration,
        frequency=request.frequency,
        interval=request.interval or 1,
        until=until,
        week_start=request.week_start or "SU",
        by_day=request.by_day or [],
        by_month=request.by_month or [],
        by_monthday=request.by_monthday or [],
        users=list(dict.fromkeys(request.users or [])),
        rolling_users=[list(dict.fromkeys(g)) for g in request.rolling_users or [] if g],
        start_rotation_from_user_index=request.start_rotation_from_user_index or 0,
        created_at=created_at,
    )


def get(shift_id: str, *, store: ShiftStore) -> OnCallShift:
    shift = store.get_on_call_shift(shift_id)
    if shift is None:
        raise NotFoundError()
    return shift


def create(request: OnCallShiftWrite, *, store: ShiftStore, clock: Clock) -> OnCallShift:
    shift = _build(request, shift_id=ids.public_id(ids.PREFIX_ON_CALL_SHIFT), created_at=clock.now(), store=store)
    store.put_on_call_shift(shift)
    return shift


def replace(shift_id: str, request: OnCallShiftWrite, *, store: ShiftStore) -> OnCallShift:
    stored = get(shift_id, store=store)
    shift = _build(request, shift_id=shift_id, created_at=stored.created_at, store=store)
    store.put_on_call_shift(shift)
    return shift


def patch(shift_id: str, request: OnCallShiftPatch, *, store: ShiftStore) -> OnCallShift:
    stored = get(shift_id, store=store)
    merged = revalidate(OnCallShiftWrite, {**_as_request(stored), **(request.model_extra or {})})
    return replace(shift_id, merged, store=store)


def delete(shift_id: str, *, store: ShiftStore) -> None:
    get(shift_id, store=store)
    store.delete_on_call_shift(shift_id)


def with_shifts(
    schedule: Schedule,
    store: ShiftStore,
    every: list[OnCallShift] | None = None,
    swaps: list[ShiftSwap] | None = None,
) -> Schedule:
    """The schedule with the shifts it takes (its `shifts`, and those naming it) and its taken shift swaps,
    for who is on call."""
    every = store.list_on_call_shifts() if every is None else every
    swaps = store.list_shift_swaps() if swaps is None else swaps
    mine = [s for s in every if s.id in schedule.shift_ids or s.schedule_id == schedule.id]
    taken = [s for s in swaps if s.schedule_id == schedule.id and s.benefactor]
    return schedule.model_copy(update={"on_call_shifts": mine, "taken_swaps": taken})


def check_shift_ids(shift_ids: list[str], store: ShiftStore) -> None:
    if missing := [s for s in shift_ids if store.get_on_call_shift(s) is None]:
        raise _field("shifts", f"No on-call shift with id {', '.join(missing)}.")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def _as_request(shift: OnCallShift) -> dict[str, Any]:
    body = present(shift)
    body.pop("id")
    return body


def present(shift: OnCallShift) -> dict[str, Any]:
    """OnCall's shape (every field, null or empty where the type has none) plus `schedule_id`."""
    recurring = shift.type in _RECURRING
    return {
        "id": shift.id,
        "name": shift.name,
        "type": shift.type,
        "team_id": shift.team_id,
        "schedule_id": shift.schedule_id,
        "time_zone": shift.time_zone,
        "level": shift.level,
        "start": _iso(shift.start),
        "rotation_start": _iso(shift.rotation_start or shift.start),
        "duration": shift.duration,
        "frequency": shift.frequency,
        "interval": shift.interval if recurring else None,
        "until": _iso(shift.until),
        "week_start": shift.week_start,
        "by_day": shift.by_day or None,
        "by_month": shift.by_month or None,
        "by_monthday": shift.by_monthday or None,
        "users": shift.users,
        "rolling_users": shift.rolling_users or None,
        "start_rotation_from_user_index": shift.start_rotation_from_user_index
        if shift.type == "rolling_users"
        else None,
    }
