"""Cron schedules with a time zone (heartbeats expected at cron times, recurring maintenance windows).

Five fields (minute hour day-of-month month day-of-week), evaluated by croniter in the schedule's IANA time
zone. Daylight-saving changes follow what cron itself does, so that a heartbeat never expects a ping the job
will not send:
- spring forward: a time in the skipped hour fires at the first valid time after it (02:30 → 03:00);
- fall back: a job with a fixed hour runs once, not twice, in the repeated hour (02:30 fires at the first
  02:30 only); jobs whose hour field is a wildcard (`*`, `*/2`) keep firing through both passes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# croniter is imported where it is used: the functions that import this module (ingest, route) need it only
# for heartbeats and maintenance windows with a cron schedule.
_MAX_SKIPS = 64


def check_expression(expression: str) -> str | None:
    """Why `expression` is not a 5-field cron expression, or None if it is one."""
    fields = expression.split()
    if len(fields) != 5:
        return "A cron expression has 5 fields: minute hour day-of-month month day-of-week (e.g. '*/15 * * * *')."
    from croniter import croniter  # on use: only maintenance windows with a cron schedule need it

    if not croniter.is_valid(expression):
        return f"'{expression}' is not a valid cron expression."
    return None


def check_timezone(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"'{name}' is not an IANA time zone (e.g. 'Europe/Berlin', 'UTC')."
    return None


def _is_repeat_of_ambiguous_time(moment: datetime, zone: ZoneInfo) -> bool:
    """The second occurrence of a wall-clock time that happens twice (the repeated hour when clocks go back)."""
    wall = moment.replace(tzinfo=None)
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    return first.utcoffset() != second.utcoffset() and moment.astimezone(UTC) == second.astimezone(UTC)


def next_after(expression: str, timezone: str, after: datetime) -> datetime:
    """The first time of the schedule strictly after `after` (UTC)."""
    from croniter import croniter  # on use, as in check_expression

    zone = ZoneInfo(timezone)
    fixed_hour = not expression.split()[1].startswith("*")
    times = croniter(expression, after.astimezone(zone))
    for _ in range(_MAX_SKIPS):
        candidate: datetime = times.get_next(datetime)
        if fixed_hour and _is_repeat_of_ambiguous_time(candidate, zone):
            continue
        return candidate.astimezone(UTC)
    raise ValueError(f"no time of '{expression}' found after {after.isoformat()}")
