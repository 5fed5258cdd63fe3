"""Who is on call: rotation layers (later layers win), overrides on top, and optionally an iCal feed.

Daily and weekly rotations hand off at the same local wall-clock time in the schedule's time zone, across
daylight-saving changes; hourly and custom rotations count real elapsed time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from oncall.models import RotationLayer, Schedule

_WALL_CLOCK_LENGTHS = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}

# Returns the user ids an iCal feed puts on call at a moment (injected: fetching is I/O).
IcalLookup = Callable[[str, datetime], list[str]]


def shift_length(layer: RotationLayer) -> timedelta:
    if layer.frequency in _WALL_CLOCK_LENGTHS:
        return _WALL_CLOCK_LENGTHS[layer.frequency]
    if layer.frequency == "hourly":
        return timedelta(hours=1)
    if not layer.shift_seconds or layer.shift_seconds <= 0:
        raise ValueError("custom rotations need shift_seconds > 0")
    return timedelta(seconds=layer.shift_seconds)


def shift_index(layer: RotationLayer, at: datetime, time_zone: str) -> int:
    """Which shift (0 = the one starting at `layer.start`) covers the moment `at`."""
    zone = ZoneInfo(time_zone)
    length = shift_length(layer)
    if layer.frequency in _WALL_CLOCK_LENGTHS:
        local = at.astimezone(zone).replace(tzinfo=None)
        return math.floor((local - layer.start.replace(tzinfo=None)) / length)
    start = layer.start.replace(tzinfo=zone).astimezone(UTC)
    return math.floor((at.astimezone(UTC) - start) / length)


def layer_user(layer: RotationLayer, at: datetime, time_zone: str) -> str | None:
    if not layer.users:
        return None
    return layer.users[shift_index(layer, at, time_zone) % len(layer.users)]


def on_call_user_ids(schedule: Schedule, at: datetime, ical: IcalLookup | None = None) -> list[str]:
    overriding = [o.user_id for o in schedule.overrides if o.start <= at < o.end]
    if overriding:
        return list(dict.fromkeys(overriding))
    on_call: list[str] = []
    for layer in schedule.layers:
        user = layer_user(layer, at, schedule.time_zone)
        if user:
            on_call = [user]
    if schedule.ical_url and ical is not None:
        on_call += [u for u in ical(schedule.ical_url, at) if u not in on_call]
    return on_call
