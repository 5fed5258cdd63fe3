"""Schedules from iCal feeds (Google Calendar, Outlook, PagerDuty/Opsgenie exports, OnCall's own export).

`IcalFeeds` fetches a feed (through an injected fetcher; by default `ical_fetch.fetch_feed`: https only,
public addresses only, short timeout, size cap), keeps it for a few minutes per container, expands recurring
events (RRULE, RDATE, EXDATE, moved occurrences) with `recurring-ical-events`, and maps each event to users.

Who an event puts on call (the mapping rule):
- every ATTENDEE whose e-mail address is a user's e-mail (case-insensitive), then
- every word of the SUMMARY that is a user's username or e-mail (case-insensitive). Words are separated by
  white space, commas, semicolons, slashes, "&", "|" or "+"; surrounding quotes, brackets and punctuation and
  a leading "@" are ignored. "alice", "@alice, bob@example.com" and "[L1] Alice / Bob" all work; other words
  ("On call:", "L1") are ignored. Cancelled events put no one on call.
All-day events and floating times are read in the schedule's time zone.

It is both an `IcalLookup` (`feeds(url, at) -> user ids`, never raises: a failure means no one, and
`last_error(url)` says why) and an `IcalSource` (`feeds.events(url, start, end, tz)`, raises
IcalUnavailableError) for `schedules.on_call_user_ids` and `schedules.shifts`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from oncall.models import User
from oncall.people.ical_fetch import FetchError, fetch_feed
from oncall.people.schedules import IcalEvent, IcalUnavailableError
from oncall.platform.masking import mask_url

logger = Logger(child=True)
# Powertools shares one metrics buffer per namespace: the invoking handler's log_metrics flushes it.
metrics = Metrics()

Fetcher = Callable[[str], bytes]

_SEPARATORS = re.compile(r"[\s,;/&|+]+")
_STRIP = "\"'()[]{}<>:;.!?*`"


class IcalError(IcalUnavailableError):
    """The feed could not be fetched or parsed."""


@dataclass
class _Cached:
    loaded_at: float
    calendar: Any = None
    error: str | None = None


def _words(summary: str) -> list[str]:
    words = []
    for raw in _SEPARATORS.split(summary):
        word = raw.strip(_STRIP).lower()
        word = word.removeprefix("mailto:").lstrip("@").strip(_STRIP)
        if word:
            words.append(word)
    return words


class UserDirectory:
    """Usernames and e-mail addresses → user ids (lower-cased)."""

    def __init__(self, users: list[User]) -> None:
        self.by_username = {u.username.lower(): u.id for u in users}
        self.by_email = {u.email.lower(): u.id for u in users if u.email}

    def match(self, summary: str, attendees: list[str]) -> tuple[str, ...]:
        found: list[str] = []
        for address in attendees:
            user_id = self.by_email.get(address.lower().removeprefix("mailto:").strip())
            if user_id and user_id not in found:
                found.append(user_id)
        for word in _words(summary):
            user_id = self.by_username.get(word) or self.by_email.get(word)
            if user_id and user_id not in found:
                found.append(user_id)
        return tuple(found)


def _attendees(component: Any) -> list[str]:
    value = component.get("ATTENDEE")
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _as_utc(value: date | datetime, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def parse_calendar(data: bytes) -> Any:
    import icalendar  # with recurring_ical_events (and click, through x_wr_timezone): ~30 ms of imports that
    # only a schedule with an iCal feed needs, so they load with the first feed, not at every cold start

    try:
        calendar = icalendar.Calendar.from_ical(data)
    except Exception as error:  # noqa: BLE001 - any parser failure means "not a usable feed"
        raise IcalError(f"not an iCal feed ({type(error).__name__})") from error
    if getattr(calendar, "name", "") != "VCALENDAR":
        raise IcalError("not an iCal feed (no VCALENDAR)")
    return calendar


def expand(calendar: Any, start: datetime, end: datetime, time_zone: str, directory: UserDirectory) -> list[IcalEvent]:
    """The occurrences overlapping [start, end), mapped to users (events that name no one are dropped)."""
    import recurring_ical_events  # with the first feed, as icalendar in parse_calendar

    zone = ZoneInfo(time_zone)
    try:
        # A day of margin on both sides: all-day and floating events are placed in `zone` afterwards.
        occurrences = recurring_ical_events.of(calendar, skip_bad_series=True).between(
            start - timedelta(days=1), end + timedelta(days=1)
        )
    except Exception as error:  # noqa: BLE001 - bad recurrence rules etc.
        raise IcalError(f"cannot expand the feed's events ({type(error).__name__})") from error
    events = []
    for occurrence in occurrences:
        if str(occurrence.get("STATUS", "")).upper() == "CANCELLED":
            continue
        begin_value = occurrence.get("DTSTART")
        if begin_value is None:
            continue
        begin = _as_utc(begin_value.dt, zone)
        end_value = occurrence.get("DTEND")
        if end_value is not None:
            finish = _as_utc(end_value.dt, zone)
        elif not isinstance(begin_value.dt, datetime):
            finish = _as_utc(begin_value.dt + timedelta(days=1), zone)
        else:
            continue  # an instant: no one is on call for zero seconds
        if finish <= start or begin >= end or finish <= begin:
            continue
        users = directory.match(str(occurrence.get("SUMMARY", "")), _attendees(occurrence))
        if users:
            events.append(IcalEvent(begin, finish, users))
    return sorted(events, key=lambda e: (e.start, e.end))


class IcalFeeds:
    """Feeds by URL, cached per container. Safe to share between threads."""

    def __init__(
        self,
        users: Callable[[], list[User]],
        *,
        fetch: Fetcher | None = None,
        ttl_seconds: float = 300.0,
        error_ttl_seconds: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._users = users
        self._fetch = fetch or fetch_feed
        self._ttl = ttl_seconds
        self._error_ttl = error_ttl_seconds
        self._monotonic = monotonic
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def _fresh(self, url: str, now: float) -> _Cached | None:
        with self._lock:
            cached = self._cache.get(url)
        if cached is not None and now - cached.loaded_at < (self._error_ttl if cached.error else self._ttl):
            return cached
        return None

    def is_cached(self, url: str) -> bool:
        """True when reading `url` now needs no fetch (a fresh copy or a fresh failure is kept)."""
        return self._fresh(url, self._monotonic()) is not None

    def _calendar(self, url: str) -> Any:
        now = self._monotonic()
        cached = self._fresh(url, now)
        if cached is not None:
            if cached.error:
                raise IcalError(cached.error)
            return cached.calendar
        try:
            calendar = parse_calendar(self._fetch(url))
        except (FetchError, IcalError) as error:
            message = f"iCal feed {mask_url(url)}: {error}"
            logger.warning("iCal feed unavailable", extra={"feed": mask_url(url), "error": str(error)})
            metrics.add_metric(name="IcalFeedFailures", unit=MetricUnit.Count, value=1)
            with self._lock:
                self._cache[url] = _Cached(now, error=message)
            raise IcalError(message) from error
        with self._lock:
            self._cache[url] = _Cached(now, calendar=calendar)
        return calendar

    def last_error(self, url: str) -> str | None:
        """Why the last read of `url` failed (None if it worked or was never read)."""
        with self._lock:
            cached = self._cache.get(url)
        return cached.error if cached else None

    def events(self, url: str, start: datetime, end: datetime, time_zone: str = "UTC") -> list[IcalEvent]:
        calendar = self._calendar(url)
        return expand(calendar, start, end, time_zone, UserDirectory(self._users()))

    def __call__(self, url: str, at: datetime) -> list[str]:
        try:
            events = self.events(url, at, at + timedelta(microseconds=1))
        except IcalUnavailableError:
            return []
        return list(dict.fromkeys(u for e in events if e.start <= at < e.end for u in e.user_ids))


class CachedOnly:
    """An IcalSource view of `feeds` that never fetches: a feed not in the cache reads as unavailable. Lets a
    request that touches many schedules stop fetching once its time budget is spent."""

    def __init__(self, feeds: IcalFeeds) -> None:
        self._feeds = feeds

    def events(self, url: str, start: datetime, end: datetime, time_zone: str = "UTC") -> list[IcalEvent]:
        if not self._feeds.is_cached(url):
            raise IcalError(f"iCal feed {mask_url(url)}: not read yet (this request's time for feeds is spent)")
        return self._feeds.events(url, start, end, time_zone)

    def __call__(self, url: str, at: datetime) -> list[str]:
        return self._feeds(url, at) if self._feeds.is_cached(url) else []
