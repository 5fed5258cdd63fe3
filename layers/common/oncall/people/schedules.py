"""Who is on call: rotation layers (later layers win), overrides on top, and optionally an iCal feed.

Rules, in order of precedence, for any moment:
1. Overrides covering the moment: their users (all of them, in list order) and nobody else.
2. Otherwise the last layer that has someone on call at that moment (a layer whose shifts cover only part of
   the day, `duration`, lets earlier layers show through), plus the users of the iCal events at that moment.

Daily and weekly rotations hand off at the same local wall-clock time in the schedule's time zone, across
daylight-saving changes (a day is then 23 or 25 hours long); hourly and custom rotations count real elapsed
time. A rotation extends backwards from its `start` too (the moment before the first handoff belongs to the
last user), so a schedule created with a future start still pages someone.

`shifts()` answers for a window (merged, per user) and `on_call_user_ids()` for one moment; both use the
same timeline, so "who is on call at 09:00" and the 09:00 edge of a shift always agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from oncall.models import RotationLayer, Schedule

_WALL_CLOCK_LENGTHS = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}
_INSTANT = timedelta(microseconds=1)

# Returns the user ids an iCal feed puts on call at a moment (injected: fetching is I/O).
IcalLookup = Callable[[str, datetime], list[str]]


class IcalUnavailableError(Exception):
    """An IcalSource could not read a feed (fetch or parse failure); the message says why, without secrets."""


@dataclass(frozen=True)
class IcalEvent:
    """One occurrence of a feed event, mapped to users (`start`/`end` in UTC)."""

    start: datetime
    end: datetime
    user_ids: tuple[str, ...]


@runtime_checkable
class IcalSource(Protocol):
    """An IcalLookup that can also list the events of a window (oncall.people.ical.IcalFeeds is one)."""

    def __call__(self, url: str, at: datetime) -> list[str]: ...

    def events(self, url: str, start: datetime, end: datetime, time_zone: str = "UTC") -> list[IcalEvent]: ...


@dataclass(frozen=True)
class Shift:
    """One user on call without interruption from `start` to `end` (UTC, end exclusive)."""

    user_id: str
    start: datetime
    end: datetime


# ------------------------------------------------------------------------------------------ one layer
def shift_length(layer: RotationLayer) -> timedelta:
    if layer.frequency in _WALL_CLOCK_LENGTHS:
        return _WALL_CLOCK_LENGTHS[layer.frequency]
    if layer.frequency == "hourly":
        return timedelta(hours=1)
    if not layer.shift_seconds or layer.shift_seconds <= 0:
        raise ValueError("custom rotations need shift_seconds > 0")
    return timedelta(seconds=layer.shift_seconds)


def _local_start(layer: RotationLayer, zone: ZoneInfo) -> datetime:
    start = layer.start
    return start.astimezone(zone).replace(tzinfo=None) if start.tzinfo else start


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _localize(local: datetime, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as UTC. Times skipped by a DST jump map forward (02:30 → 03:30 in spring);
    repeated times take their first occurrence."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def handoff(layer: RotationLayer, index: int, zone: ZoneInfo) -> datetime:
    """When shift `index` (0 = the one starting at `layer.start`) begins, in UTC."""
    length = shift_length(layer)
    if layer.frequency in _WALL_CLOCK_LENGTHS:
        return _localize(_local_start(layer, zone) + index * length, zone)
    return _localize(_local_start(layer, zone), zone) + index * length


def _active_end(layer: RotationLayer, index: int, zone: ZoneInfo) -> datetime:
    """When shift `index` stops covering: its `duration` after the handoff, at most the next handoff."""
    following = handoff(layer, index + 1, zone)
    if not layer.duration:
        return following
    if layer.frequency in _WALL_CLOCK_LENGTHS:
        local = _local_start(layer, zone) + index * shift_length(layer) + timedelta(seconds=layer.duration)
        end = _localize(local, zone)
    else:
        end = handoff(layer, index, zone) + timedelta(seconds=layer.duration)
    return min(end, following)


def shift_index(layer: RotationLayer, at: datetime, time_zone: str) -> int:
    """Which shift (0 = the one starting at `layer.start`) covers the moment `at`."""
    zone = ZoneInfo(time_zone)
    at = _utc(at)
    length = shift_length(layer)
    if layer.frequency in _WALL_CLOCK_LENGTHS:
        guess = math.floor((at.astimezone(zone).replace(tzinfo=None) - _local_start(layer, zone)) / length)
    else:
        guess = math.floor((at - handoff(layer, 0, zone)) / length)
    # The wall-clock guess can be one off inside a repeated (autumn) hour: settle on the real handoffs.
    while handoff(layer, guess + 1, zone) <= at:
        guess += 1
    while handoff(layer, guess, zone) > at:
        guess -= 1
    return guess


def layer_user(layer: RotationLayer, at: datetime, time_zone: str) -> str | None:
    """The layer's user on call at `at`, or None (no users, or outside the shift's `duration`)."""
    if not layer.users:
        return None
    index = shift_index(layer, at, time_zone)
    if _utc(at) >= _active_end(layer, index, ZoneInfo(time_zone)):
        return None
    return layer.users[index % len(layer.users)]


# ------------------------------------------------------------------------------------------ the timeline
@dataclass(frozen=True)
class _Window:
    kind: str  # "override" | "layer" | "ical"
    rank: int  # overrides: list position; layers: layer position (higher wins); ical: event order
    start: datetime
    end: datetime
    user_ids: tuple[str, ...]


def _layer_windows(layer: RotationLayer, rank: int, start: datetime, end: datetime, zone: ZoneInfo) -> list[_Window]:
    if not layer.users:
        return []
    windows = []
    index = shift_index(layer, start, zone.key)
    while (begin := handoff(layer, index, zone)) < end:
        finish = _active_end(layer, index, zone)
        if finish > start:
            user = layer.users[index % len(layer.users)]
            windows.append(_Window("layer", rank, max(begin, start), min(finish, end), (user,)))
        index += 1
    return windows


def _windows(schedule: Schedule, start: datetime, end: datetime, ical_events: list[IcalEvent]) -> list[_Window]:
    zone = ZoneInfo(schedule.time_zone)
    windows: list[_Window] = []
    for rank, layer in enumerate(schedule.layers):
        windows += _layer_windows(layer, rank, start, end, zone)
    for rank, override in enumerate(schedule.overrides):
        begin, finish = max(_utc(override.start), start), min(_utc(override.end), end)
        windows.append(_Window("override", rank, begin, finish, (override.user_id,)))
    for rank, event in enumerate(ical_events):
        begin, finish = max(_utc(event.start), start), min(_utc(event.end), end)
        windows.append(_Window("ical", rank, begin, finish, tuple(event.user_ids)))
    windows += _shift_windows(schedule, start, end)
    for rank, swap in enumerate(schedule.taken_swaps):
        begin, finish = max(_utc(swap.swap_start), start), min(_utc(swap.swap_end), end)
        windows.append(_Window("swap", rank, begin, finish, (swap.beneficiary, swap.benefactor or "")))
    return [w for w in windows if w.start < w.end and w.user_ids]


# OnCall on-call shifts rank above the schedule's own layers (levels compare among themselves) and their
# overrides after the schedule's own overrides.
_SHIFT_LAYER_RANK = 1_000_000


def _shift_windows(schedule: Schedule, start: datetime, end: datetime) -> list[_Window]:
    if not schedule.on_call_shifts:
        return []
    from oncall.people.on_call_shifts import events  # noqa: PLC0415 - dateutil's rrule loads on first use

    windows = []
    for number, shift in enumerate(schedule.on_call_shifts):
        for begin, finish, users in events(shift, start, end):
            if shift.type == "override":
                rank = len(schedule.overrides) + number
                windows.append(_Window("override", rank, max(begin, start), min(finish, end), users))
            else:
                rank = _SHIFT_LAYER_RANK + shift.level
                windows.append(_Window("layer", rank, max(begin, start), min(finish, end), users))
    return windows


def _on_call(active: list[_Window]) -> list[str]:
    """Who is on call where these windows overlap; taken shift swaps then put their benefactor in the place of
    their beneficiary."""
    users = _on_call_before_swaps(active)
    for swap in sorted((w for w in active if w.kind == "swap"), key=lambda w: w.rank):
        beneficiary, benefactor = swap.user_ids
        users = [benefactor if u == beneficiary else u for u in users]
    return list(dict.fromkeys(users))


def _on_call_before_swaps(active: list[_Window]) -> list[str]:
    overrides = sorted((w for w in active if w.kind == "override"), key=lambda w: w.rank)
    if overrides:
        return list(dict.fromkeys(u for w in overrides for u in w.user_ids))
    layers = [w for w in active if w.kind == "layer"]
    top = max((w.rank for w in layers), default=None)
    # the highest rank wins; shifts of one level are on call together
    users = list(dict.fromkeys(u for w in layers if w.rank == top for u in w.user_ids))
    for window in sorted((w for w in active if w.kind == "ical"), key=lambda w: w.rank):
        users += [u for u in window.user_ids if u not in users]
    return users


def _segments(windows: list[_Window], start: datetime, end: datetime) -> list[tuple[datetime, datetime, list[str]]]:
    """Cut [start, end) at every window edge; each piece has one set of users (a sweep, O(n log n))."""
    points = sorted({start, end, *(w.start for w in windows), *(w.end for w in windows)})
    opening: dict[datetime, list[int]] = {}
    closing: dict[datetime, list[int]] = {}
    for number, window in enumerate(windows):
        opening.setdefault(window.start, []).append(number)
        closing.setdefault(window.end, []).append(number)
    active: set[int] = set()
    pieces = []
    for begin, finish in zip(points, points[1:], strict=False):
        active.difference_update(closing.get(begin, ()))
        active.update(opening.get(begin, ()))
        pieces.append((begin, finish, _on_call([windows[n] for n in sorted(active)])))
    return pieces


def _merge(pieces: list[tuple[datetime, datetime, list[str]]]) -> list[Shift]:
    """Per user, join pieces that touch: a layer shift continued by an override of the same user is one
    shift. Sorted by start, then by the user's place in the on-call list."""
    order: dict[str, int] = {}
    open_since: dict[str, datetime] = {}
    closed: list[Shift] = []
    previous_end: datetime | None = None
    for begin, finish, users in pieces:
        for user in users:
            order.setdefault(user, len(order))
        for user in [u for u in open_since if u not in users or begin != previous_end]:
            closed.append(Shift(user, open_since.pop(user), previous_end))
        for user in users:
            open_since.setdefault(user, begin)
        previous_end = finish
    closed += [Shift(user, since, previous_end) for user, since in open_since.items()]
    return sorted(closed, key=lambda s: (s.start, order[s.user_id], s.end))


def shifts(schedule: Schedule, start: datetime, end: datetime, ical: IcalSource | None = None) -> list[Shift]:
    """Who is on call between `start` and `end` (the final schedule: layers, overrides and the feed merged),
    as uninterrupted shifts clipped to the window. `ical` must list events (an IcalSource); a feed that
    cannot be read raises IcalUnavailableError (on_call_user_ids treats it as a feed with no one on call)."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return []
    events: list[IcalEvent] = []
    if schedule.ical_url and ical is not None:
        if not isinstance(ical, IcalSource):
            raise TypeError("shifts() needs an IcalSource (with events()); a point lookup only answers one moment")
        events = ical.events(schedule.ical_url, start, end, schedule.time_zone)
    return _merge(_segments(_windows(schedule, start, end, events), start, end))


class _PointLookup:
    """Adapts a plain IcalLookup (users at one moment) to the IcalSource the timeline uses."""

    def __init__(self, lookup: IcalLookup) -> None:
        self._lookup = lookup

    def __call__(self, url: str, at: datetime) -> list[str]:
        return self._lookup(url, at)

    def events(self, url: str, start: datetime, end: datetime, time_zone: str = "UTC") -> list[IcalEvent]:
        return [IcalEvent(start, end, tuple(self._lookup(url, start)))]


def on_call_user_ids(schedule: Schedule, at: datetime, ical: IcalLookup | None = None) -> list[str]:
    """The user ids on call at `at`, overrides first-come first-listed, otherwise the winning layer's user
    followed by the feed's users. `ical` may be a plain IcalLookup or an IcalSource."""
    at = _utc(at)
    source = ical if ical is None or isinstance(ical, IcalSource) else _PointLookup(ical)
    try:
        return [shift.user_id for shift in shifts(schedule, at, at + _INSTANT, source)]
    except IcalUnavailableError:
        # Never fail an escalation over a feed: overrides still apply; the source records the error.
        return [shift.user_id for shift in shifts(schedule, at, at + _INSTANT, None)]
