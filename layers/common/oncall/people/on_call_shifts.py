"""Who an OnCall on-call shift puts on call, and when (pure: no clock, no store).

- `single_event` / `override`: one event from `start` for `duration` seconds.
- `recurrent_event`: an event every `interval` `frequency` periods from `start`, restricted by `by_day`,
  `by_month`, `by_monthday` (iCal RRULE semantics, `week_start` as WKST), none starting after `until`;
  `users` are on call together in each.
- `rolling_users`: the same events, but the group on call changes every `interval` periods of `frequency`
  counted from `rotation_start` (a weekly rotation with `by_day` MO-FR keeps one group all week), starting
  with group `start_rotation_from_user_index`.

Times are wall clock in the shift's `time_zone` (UTC when None): a daily 09:00 event stays at 09:00 local
across daylight-saving changes. Events that start before `rotation_start` do not count.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from oncall.models import OnCallShift

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_EVENTS = 5000  # per shift per window: an hourly shift over a 31-day window has 744


def zone_of(shift: OnCallShift) -> ZoneInfo:
    return ZoneInfo(shift.time_zone or "UTC")


def _naive(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None) if moment.tzinfo else moment


def _utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _rule(shift: OnCallShift, zone: ZoneInfo):
    from dateutil import rrule  # noqa: PLC0415 - loaded on first use (cold starts)

    frequencies = {"hourly": rrule.HOURLY, "daily": rrule.DAILY, "weekly": rrule.WEEKLY, "monthly": rrule.MONTHLY}
    days = [getattr(rrule, d) for d in shift.by_day] or None
    return rrule.rrule(
        frequencies[shift.frequency or "weekly"],
        dtstart=_naive(shift.start, zone),
        interval=max(shift.interval, 1),
        wkst=getattr(rrule, shift.week_start),
        byweekday=days,
        bymonth=shift.by_month or None,
        bymonthday=shift.by_monthday or None,
        until=_naive(shift.until, zone) if shift.until else None,
        cache=False,
    )


def period_index(shift: OnCallShift, local_start: datetime) -> int:
    """How many rotation periods (`interval` × `frequency`) after `rotation_start` an event starts."""
    zone = zone_of(shift)
    origin = _naive(shift.rotation_start or shift.start, zone)
    interval = max(shift.interval, 1)
    frequency = shift.frequency or "weekly"
    if frequency == "hourly":
        periods = int((local_start - origin) // timedelta(hours=1))
    elif frequency == "daily":
        periods = (local_start.date() - origin.date()).days
    elif frequency == "weekly":
        first_day = WEEKDAYS.index(shift.week_start)

        def week_of(moment: datetime) -> datetime:
            return moment.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
                days=(moment.weekday() - first_day) % 7
            )

        periods = (week_of(local_start) - week_of(origin)).days // 7
    else:
        periods = (local_start.year - origin.year) * 12 + local_start.month - origin.month
    return periods // interval


def _users(shift: OnCallShift, local_start: datetime) -> tuple[str, ...]:
    if shift.type != "rolling_users":
        return tuple(dict.fromkeys(shift.users))
    groups = [g for g in shift.rolling_users if g]
    if not groups:
        return ()
    index = (period_index(shift, local_start) + shift.start_rotation_from_user_index) % len(groups)
    return tuple(dict.fromkeys(groups[index]))


def events(shift: OnCallShift, start: datetime, end: datetime) -> list[tuple[datetime, datetime, tuple[str, ...]]]:
    """The shift's events that overlap [start, end) (UTC), each (start, end, user ids), in order."""
    zone = zone_of(shift)
    length = timedelta(seconds=max(shift.duration, 0))
    if not length:
        return []
    floor = _utc(_naive(shift.rotation_start, zone), zone) if shift.rotation_start else None
    if shift.type in ("single_event", "override") or shift.frequency is None:
        local_starts = [_naive(shift.start, zone)]
    else:
        # events starting up to one event length before the window can still overlap it
        after = _naive(start, zone) - length - timedelta(hours=2)  # DST slack
        before = _naive(end, zone) + timedelta(hours=2)
        local_starts = []
        for moment in _rule(shift, zone).xafter(after, inc=True):
            if moment >= before or len(local_starts) >= MAX_EVENTS:
                break
            local_starts.append(moment)
    result = []
    for local in local_starts:
        begin = _utc(local, zone)
        finish = _utc(local + length, zone)
        if floor is not None and begin < floor:
            continue
        if begin < end and finish > start:
            users = _users(shift, local)
            if users:
                result.append((begin, finish, users))
    return result


def users_at(shift: OnCallShift, at: datetime) -> tuple[str, ...]:
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    found = events(shift, at, at + timedelta(microseconds=1))
    return tuple(dict.fromkeys(u for _, _, users in found for u in users))
