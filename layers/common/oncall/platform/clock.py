"""Time, injectable: logic asks a Clock for "now" so tests and the time-scaled local stack control it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ScaledClock:
    """A clock that runs `1/scale` times faster than real time from the moment it is created.

    Used only by the local stack's demo/test time scale, so that a 5-minute wait that Step Functions
    (scaled) finishes in 3 seconds also looks like 5 minutes to the handlers.
    """

    def __init__(self, scale: float) -> None:
        self._scale = scale
        self._origin_wall = datetime.now(UTC)
        self._origin_mono = time.monotonic()

    def now(self) -> datetime:
        elapsed = time.monotonic() - self._origin_mono
        return self._origin_wall + timedelta(seconds=elapsed / self._scale)


_clock: Clock = SystemClock()


def default_clock() -> Clock:
    """The clock handlers inject into logic. The local runtime may swap it for a ScaledClock."""
    return _clock


def use_clock(clock: Clock) -> None:
    global _clock
    _clock = clock


def iso(moment: datetime) -> str:
    """Sortable UTC timestamp with microseconds, the one format stored and sorted on."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def api_time(moment: datetime | None) -> str | None:
    """The public API's timestamp format (OnCall: second precision, Z suffix)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def humanize_duration(seconds: float) -> str:
    """`5400` -> "1 hour 30 minutes": the two largest non-zero units, for titles people read on a phone."""
    remaining = max(0, round(seconds))
    parts: list[str] = []
    for name, size in _UNITS:
        amount, remaining = divmod(remaining, size)
        if amount:
            parts.append(f"{amount} {name}{'s' if amount != 1 else ''}")
    return " ".join(parts[:2]) or "0 seconds"
