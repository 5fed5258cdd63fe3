"""Creating and changing schedules, and answering "who is on call" for the API.

Two kinds (OnCall's `type`): "calendar" (alias "web": rotation layers + overrides) and "ical" (an iCal feed
+ overrides). Layer users and override users must exist (checked by the store in the same transaction as the
save); layer `start` is the first handoff in the schedule's local time (an offset, if given, is converted);
override times without an offset are read in the schedule's time zone. The feed URL is masked on read and
round-trips like a contact URL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from oncall.models import EscalationStep, RotationLayer, Schedule, ScheduleOverride
from oncall.people.requests import MAX_SCHEDULE_USERS, LayerIn, OverrideIn, SchedulePatch, ScheduleWrite
from oncall.people.schedules import IcalSource, IcalUnavailableError, Shift, on_call_user_ids, shift_length, shifts
from oncall.people.shift_config import check_shift_ids, with_shifts
from oncall.people.users import check_time_zone, revalidate
from oncall.platform import ids
from oncall.platform.clock import Clock
from oncall.platform.errors import NotFoundError, UpstreamError, ValidationError
from oncall.platform.masking import MaskedValueError, unmask
from oncall.storage.protocols import ConfigurationStore, MissingReferenceError, PeopleStore, ScheduleStore

MAX_WINDOW_DAYS = 366
_INSTANT = timedelta(microseconds=1)

# Fields of escalation steps that may name a schedule (checked with getattr, whichever the model has).
STEP_SCHEDULE_FIELDS = ("notify_on_call_from_schedule", "schedule_id", "notify_schedule")


class ScheduleConfigStore(ScheduleStore, PeopleStore, ConfigurationStore, Protocol):
    """Schedules are checked against their users and shifts; a delete against the steps that page them."""


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", {field: [message]})


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None) if moment.tzinfo else moment


def _utc(moment: datetime, zone: ZoneInfo) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


def _layer(position: int, layer: LayerIn, zone: ZoneInfo) -> RotationLayer:
    where = f"layers.{position}"
    if layer.frequency == "custom" and not layer.shift_seconds:
        raise _field_error(f"{where}.shift_seconds", "Custom rotations need shift_seconds (900 or more).")
    if layer.frequency != "custom" and layer.shift_seconds:
        raise _field_error(
            f"{where}.shift_seconds", f"Only custom rotations take shift_seconds, not {layer.frequency}."
        )
    rotation = RotationLayer(
        users=layer.users,
        frequency=layer.frequency,
        shift_seconds=layer.shift_seconds,
        duration=layer.duration,
        start=_local(layer.start, zone),
    )
    if layer.duration and timedelta(seconds=layer.duration) > shift_length(rotation):
        raise _field_error(f"{where}.duration", "A shift cannot be on call longer than the rotation's period.")
    return rotation


def _override(position: int, override: OverrideIn, zone: ZoneInfo) -> ScheduleOverride:
    start, end = _utc(override.start, zone), _utc(override.end, zone)
    if end <= start:
        raise _field_error(f"overrides.{position}.end", "An override ends after it starts.")
    return ScheduleOverride(user_id=override.user_id, start=start, end=end)


def _feed_url(request: ScheduleWrite, stored: Schedule | None, *, allow_http: bool) -> str:
    field = "ical_url_primary"
    if not request.ical_url:
        raise _field_error(field, "An ical schedule needs the feed URL (ical_url_primary).")
    try:
        url = unmask(request.ical_url, stored.ical_url if stored else None)
    except MaskedValueError as error:
        raise _field_error(field, f"The URL {error}.") from error
    parts = urlsplit(url)
    if parts.scheme not in (("https", "http") if allow_http else ("https",)) or not parts.hostname:
        raise _field_error(field, "The feed URL must be https://host/…")
    return url


def _build(
    request: ScheduleWrite,
    *,
    schedule_id: str,
    created_at: datetime,
    stored: Schedule | None,
    store: ScheduleConfigStore,
    **opts,
) -> Schedule:
    check_time_zone(request.time_zone, "time_zone")
    zone = ZoneInfo(request.time_zone)
    if any(s.name.lower() == request.name.lower() and s.id != schedule_id for s in store.list_schedules()):
        raise _field_error("name", f"A schedule named '{request.name}' already exists.")
    ical_url = None
    if request.type == "ical":
        if request.layers:
            raise _field_error("layers", "An ical schedule takes its shifts from the feed (use type calendar).")
        ical_url = _feed_url(request, stored, allow_http=opts.get("allow_http", False))
    elif request.ical_url:
        raise _field_error("ical_url_primary", "Only ical schedules have a feed URL.")
    if request.shifts is not None:
        check_shift_ids(request.shifts, store)
    schedule = Schedule(
        id=schedule_id,
        name=request.name,
        team_id=request.team_id,
        time_zone=request.time_zone,
        layers=[_layer(n, layer, zone) for n, layer in enumerate(request.layers)],
        overrides=[_override(n, override, zone) for n, override in enumerate(request.overrides)],
        ical_url=ical_url,
        created_at=created_at,
        shift_ids=list(dict.fromkeys(request.shifts))
        if request.shifts is not None
        else (stored.shift_ids if stored else []),
    )
    named = {u for layer in schedule.layers for u in layer.users} | {o.user_id for o in schedule.overrides}
    if len(named) > MAX_SCHEDULE_USERS:
        raise _field_error("layers", f"A schedule names at most {MAX_SCHEDULE_USERS} different users.")
    return schedule


def _save(store: ScheduleConfigStore, schedule: Schedule) -> Schedule:
    try:
        store.save_schedule(schedule)
    except MissingReferenceError as error:
        missing = set(error.ids)
        fields: dict[str, list[str]] = {}
        if schedule.team_id in missing:
            fields["team_id"] = [f"No team with id {schedule.team_id}."]
        for position, layer in enumerate(schedule.layers):
            if gone := [u for u in layer.users if u in missing]:
                fields[f"layers.{position}.users"] = [f"No user with id {', '.join(gone)}."]
        for position, override in enumerate(schedule.overrides):
            if override.user_id in missing:
                fields[f"overrides.{position}.user_id"] = [f"No user with id {override.user_id}."]
        summary = "; ".join(f"{name}: {messages[0]}" for name, messages in fields.items())
        raise ValidationError(summary or f"Unknown ids: {', '.join(error.ids)}.", fields) from error
    return with_shifts(schedule, store)


def create_schedule(
    request: ScheduleWrite, *, store: ScheduleConfigStore, clock: Clock, allow_http: bool = False
) -> Schedule:
    schedule = _build(
        request,
        schedule_id=ids.public_id(ids.PREFIX_SCHEDULE),
        created_at=clock.now(),
        stored=None,
        store=store,
        allow_http=allow_http,
    )
    return _save(store, schedule)


def get_schedule(store: ScheduleConfigStore, schedule_id: str) -> Schedule:
    """The schedule with its on-call shifts (what who-is-on-call reads; they are never stored with it)."""
    schedule = store.get_schedule(schedule_id)
    if schedule is None:
        raise NotFoundError()
    return with_shifts(schedule, store)


def replace_schedule(
    schedule_id: str, request: ScheduleWrite, *, store: ScheduleConfigStore, allow_http: bool = False
) -> Schedule:
    stored = get_schedule(store, schedule_id)
    schedule = _build(
        request,
        schedule_id=schedule_id,
        created_at=stored.created_at,
        stored=stored,
        store=store,
        allow_http=allow_http,
    )
    return _save(store, schedule)


def _as_request(schedule: Schedule) -> dict[str, Any]:
    return {
        "name": schedule.name,
        "type": "ical" if schedule.ical_url else "calendar",
        "time_zone": schedule.time_zone,
        "team_id": schedule.team_id,
        "layers": [layer.model_dump() for layer in schedule.layers],
        "overrides": [o.model_dump() for o in schedule.overrides],
        "ical_url": schedule.ical_url,
        "shifts": schedule.shift_ids,
    }


def patch_schedule(
    schedule_id: str, request: SchedulePatch, *, store: ScheduleConfigStore, allow_http: bool = False
) -> Schedule:
    stored = get_schedule(store, schedule_id)
    changes = request.model_dump(exclude_unset=True)
    for required in ("name", "type", "time_zone"):
        if required in changes and changes[required] is None:
            raise _field_error(required, "This field may not be null.")
    for listed in ("layers", "overrides"):
        if listed in changes and changes[listed] is None:
            changes[listed] = []
    current = _as_request(stored)
    if changes.get("type") in ("calendar", "web") and "ical_url" not in changes:
        current["ical_url"] = None  # switching to calendar drops the feed
    merged = revalidate(ScheduleWrite, {**current, **changes})
    return replace_schedule(schedule_id, merged, store=store, allow_http=allow_http)


def step_schedule_ids(step: EscalationStep) -> list[str]:
    return [v for f in STEP_SCHEDULE_FIELDS if isinstance(v := getattr(step, f, None), str)]


def delete_schedule(schedule_id: str, *, store: ScheduleConfigStore) -> None:
    get_schedule(store, schedule_id)
    steps = [s.id for s in store.list_steps() if schedule_id in step_schedule_ids(s)]
    if steps:
        raise ValidationError(
            f"Schedule {schedule_id} cannot be deleted while escalation policies {', '.join(steps)} notify it.",
            {"escalation_policies": [f"notify schedule {schedule_id}: {', '.join(steps)}"]},
        )
    store.delete_schedule(schedule_id)


# ------------------------------------------------------------------------------------------ who is on call
def on_call_now(schedule: Schedule, at: datetime, feeds: IcalSource | None) -> list[str]:
    """Never raises: a feed that cannot be read contributes no one."""
    return on_call_user_ids(schedule, at, feeds)


def who_is_on_call(schedule: Schedule, at: datetime, feeds: IcalSource | None) -> tuple[list[str], str | None]:
    """The user ids on call at `at`, and why the feed could not be read (None if it could)."""
    try:
        return [s.user_id for s in shifts(schedule, at, at + _INSTANT, feeds)], None
    except IcalUnavailableError as error:
        return [s.user_id for s in shifts(schedule, at, at + _INSTANT, None)], str(error)


def parse_window(start_date: str | None, end_date: str | None) -> tuple[datetime, datetime]:
    """OnCall's final_shifts window: whole UTC days, both dates included."""
    days: dict[str, date] = {}
    for field, value in (("start_date", start_date), ("end_date", end_date)):
        if not value:
            raise _field_error(field, "This field is required (YYYY-MM-DD).")
        try:
            days[field] = date.fromisoformat(value)
        except ValueError as error:
            raise _field_error(field, f"'{value}' is not a date (YYYY-MM-DD).") from error
    if days["end_date"] < days["start_date"]:
        raise _field_error("end_date", "end_date is before start_date.")
    if (days["end_date"] - days["start_date"]).days >= MAX_WINDOW_DAYS:
        raise _field_error("end_date", f"At most {MAX_WINDOW_DAYS} days at a time.")
    start = datetime.combine(days["start_date"], datetime.min.time(), UTC)
    return start, datetime.combine(days["end_date"], datetime.min.time(), UTC) + timedelta(days=1)


def final_shifts(schedule: Schedule, start: datetime, end: datetime, feeds: IcalSource | None) -> list[Shift]:
    try:
        return shifts(schedule, start, end, feeds)
    except IcalUnavailableError as error:
        raise UpstreamError(str(error)) from error
