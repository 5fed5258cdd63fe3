"""/api/v1/schedules, with who is on call (`on_call`) and OnCall's `final_shifts`"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import Field

from oncall import wiring
from oncall.api.common import Page, PerPage, RevealSecrets, metrics, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.responses import created, deleted, paged, returns
from oncall.models import Schedule, User
from oncall.people import schedule_config
from oncall.people.ical import CachedOnly
from oncall.people.requests import LayerIn, OverrideIn, SchedulePatch, ScheduleWrite
from oncall.people.schedules import IcalSource, Shift
from oncall.people.shift_config import with_shifts
from oncall.platform.bodies import ResponseBody
from oncall.platform.clock import api_time
from oncall.platform.errors import ValidationError
from oncall.platform.http import json_response, no_content
from oncall.platform.masking import shown_url
from oncall.platform.settings import get_settings

router = Router()


class LayerOut(ResponseBody, echoed_by=(LayerIn,)):
    frequency: Literal["hourly", "daily", "weekly", "custom"]
    shift_seconds: int | None
    duration: int | None
    users: list[str]
    start: str


class OverrideOut(ResponseBody, echoed_by=(OverrideIn,)):
    user_id: str
    start: str
    end: str


class ScheduleSlackOut(ResponseBody):
    channel_id: str | None
    user_group_id: str | None


class ScheduleOut(ResponseBody, echoed_by=(ScheduleWrite, SchedulePatch)):
    id: str = Field(description="S…")
    name: str
    type: Literal["calendar", "ical"]
    team_id: str | None
    time_zone: str
    on_call_now: list[str]
    layers: list[LayerOut]
    overrides: list[OverrideOut]
    ical_url_primary: str | None
    ical_url_overrides: str | None
    slack: ScheduleSlackOut
    shifts: list[str] = Field(description="on_call_shifts ids")


def _local_iso(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def present_schedule(schedule: Schedule, on_call_now: list[str]) -> dict[str, Any]:
    return ScheduleOut.build(
        id=schedule.id,
        name=schedule.name,
        type="ical" if schedule.ical_url else "calendar",
        team_id=schedule.team_id,
        time_zone=schedule.time_zone,
        on_call_now=on_call_now,
        layers=[
            LayerOut.build(
                frequency=layer.frequency,
                shift_seconds=layer.shift_seconds,
                duration=layer.duration,
                users=list(layer.users),
                start=_local_iso(layer.start),
            )
            for layer in schedule.layers
        ],
        overrides=[
            OverrideOut.build(user_id=o.user_id, start=api_time(o.start), end=api_time(o.end))
            for o in schedule.overrides
        ],
        ical_url_primary=shown_url(schedule.ical_url) if schedule.ical_url else None,
        ical_url_overrides=None,
        slack=ScheduleSlackOut.build(channel_id=None, user_group_id=None),
        # OnCall's: the on_call_shifts it takes (its own list, and shifts naming it)
        shifts=list(dict.fromkeys([*schedule.shift_ids, *(s.id for s in schedule.on_call_shifts)])),
    )


# /on_call and /final_shifts answer OnCall's shapes, which its document leaves undescribed (so does ours).
def present_final_shift(shift: Shift, user: User | None) -> dict[str, Any]:
    return {
        "user_pk": shift.user_id,
        "user_email": user.email if user else None,
        "user_username": user.username if user else None,
        "shift_start": api_time(shift.start),
        "shift_end": api_time(shift.end),
    }


def present_user_brief(user_id: str, user: User | None) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": user.username if user else None,
        "email": user.email if user else None,
        "name": user.name if user else None,
    }


# A listing stops fetching feeds after this many seconds (each fetch may take ONCALL_ICAL_TIMEOUT_SECONDS),
# so that many slow feeds cannot push the request past the function's timeout.
LIST_FEED_BUDGET_SECONDS = 3.0


def _body(schedule: Schedule, feeds: IcalSource | None = None) -> dict:
    now = wiring.now_clock().now()
    return present_schedule(schedule, schedule_config.on_call_now(schedule, now, feeds or wiring.ical_feeds()))


def _allow_http() -> bool:
    return get_settings().ical_allow_http


@router.get("/schedules", responses=paged(ScheduleOut))
def list_schedules(
    page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, name: str | None = None, reveal_secrets: RevealSecrets = False
) -> dict:
    """Schedules by name, with who is on call now; `name` (exact) filters."""
    store = wiring.store()
    every, swaps = store.list_on_call_shifts(), store.list_shift_swaps()
    schedules = [with_shifts(s, store, every, swaps) for s in store.list_schedules() if name is None or s.name == name]
    # on_call_now is computed only for the page shown (a feed may have to be fetched for each).
    listed = page_of(router, [{"schedule": s} for s in schedules], page, perpage, name=name)
    feeds, started, bodies = wiring.ical_feeds(), time.monotonic(), []
    for item in listed["results"]:
        spent = time.monotonic() - started > LIST_FEED_BUDGET_SECONDS
        bodies.append(_body(item["schedule"], CachedOnly(feeds) if spent else feeds))
    listed["results"] = bodies
    return listed


@router.post("/schedules", responses=created(ScheduleOut))
def create_schedule(body: ScheduleWrite):
    schedule = schedule_config.create_schedule(
        body, store=wiring.store(), clock=wiring.now_clock(), allow_http=_allow_http()
    )
    metrics.add_metric(name="SchedulesCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, _body(schedule))


@router.get("/schedules/<schedule_id>", responses=returns(ScheduleOut))
def get_schedule(schedule_id: str, reveal_secrets: RevealSecrets = False) -> dict:
    return _body(schedule_config.get_schedule(wiring.store(), schedule_id))


@router.put("/schedules/<schedule_id>", responses=returns(ScheduleOut))
def replace_schedule(schedule_id: str, body: ScheduleWrite) -> dict:
    schedule = schedule_config.replace_schedule(schedule_id, body, store=wiring.store(), allow_http=_allow_http())
    return _body(schedule)


@router.patch("/schedules/<schedule_id>", responses=returns(ScheduleOut))
def patch_schedule(schedule_id: str, body: SchedulePatch) -> dict:
    schedule = schedule_config.patch_schedule(schedule_id, body, store=wiring.store(), allow_http=_allow_http())
    return _body(schedule)


@router.delete("/schedules/<schedule_id>", responses=deleted())
def delete_schedule(schedule_id: str):
    schedule_config.delete_schedule(schedule_id, store=wiring.store())
    return no_content()


def _moment(at: str | None) -> datetime:
    if not at:
        return wiring.now_clock().now()
    try:
        moment = datetime.fromisoformat(at.strip().replace(" ", "+"))  # a "+" in a query string arrives as " "
    except ValueError as error:
        message = f"'{at}' is not an ISO 8601 time (like 2026-03-30T09:00:00Z)."
        raise ValidationError(f"at: {message}", {"at": [message]}) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.get("/schedules/<schedule_id>/on_call")
def on_call(schedule_id: str, at: str | None = None) -> dict:
    store = wiring.store()
    schedule = schedule_config.get_schedule(store, schedule_id)
    moment = _moment(at)
    user_ids, feed_error = schedule_config.who_is_on_call(schedule, moment, wiring.ical_feeds())
    return {
        "schedule_id": schedule.id,
        "at": api_time(moment),
        "users": [present_user_brief(u, store.get_user(u)) for u in user_ids],
        "ical_error": feed_error,
    }


@router.get("/schedules/<schedule_id>/final_shifts")
def final_shifts(
    schedule_id: str,
    page: Page = 1,
    perpage: PerPage = DEFAULT_PAGE_SIZE,
    start_date: str | None = None,
    end_date: str | None = None,
) -> dict:
    store = wiring.store()
    schedule = schedule_config.get_schedule(store, schedule_id)
    start, end = schedule_config.parse_window(start_date, end_date)
    result = schedule_config.final_shifts(schedule, start, end, wiring.ical_feeds())
    users = {u.id: u for u in store.list_users()}
    shifts = [present_final_shift(s, users.get(s.user_id)) for s in result]
    return page_of(router, shifts, page, perpage, start_date=start_date, end_date=end_date)
