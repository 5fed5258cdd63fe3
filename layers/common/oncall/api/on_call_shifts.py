"""/api/v1/on_call_shifts: OnCall's on-call shifts (CRUD, filters `name`, `schedule_id`). Calendar schedules
take them through their `shifts` (or a shift's `schedule_id`), and who is on call is computed from them."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from oncall import wiring
from oncall.api.common import Page, PerPage, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.responses import created, deleted, paged, returns
from oncall.models import OnCallShift
from oncall.people import shift_config as config
from oncall.people.requests import OnCallShiftPatch, OnCallShiftWrite
from oncall.platform.bodies import ResponseBody
from oncall.platform.http import json_response, no_content

router = Router()


class OnCallShiftOut(ResponseBody):
    id: str = Field(description="O…")
    name: str
    type: Literal["single_event", "recurrent_event", "rolling_users", "override"]
    team_id: str | None
    schedule_id: str | None
    time_zone: str | None
    level: int
    start: str
    rotation_start: str
    duration: int
    frequency: str | None
    interval: int | None
    until: str | None
    week_start: str
    by_day: list[str] | None
    by_month: list[int] | None
    by_monthday: list[int] | None
    users: list[str]
    rolling_users: list[list[str]] | None
    start_rotation_from_user_index: int | None


def present_shift(shift: OnCallShift) -> dict[str, Any]:
    # The domain writes the shift in this shape (it merges a PATCH into it: shift_config.patch); the model
    # checks it and puts it in its order.
    return OnCallShiftOut.build(**config.present(shift))


@router.get("/on_call_shifts", responses=paged(OnCallShiftOut))
def list_shifts(
    page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, name: str | None = None, schedule_id: str | None = None
) -> dict:
    """Shifts, oldest first; `name` (exact) and `schedule_id` (the schedule's shifts) filter."""
    store = wiring.store()
    shifts = store.list_on_call_shifts()
    if schedule_id is not None:
        schedule = store.get_schedule(schedule_id)
        wanted = set(schedule.shift_ids) if schedule else set()
        shifts = [s for s in shifts if s.id in wanted or s.schedule_id == schedule_id]
    shifts = [s for s in shifts if name in (None, s.name)]
    return page_of(router, [present_shift(s) for s in shifts], page, perpage, name=name, schedule_id=schedule_id)


@router.post("/on_call_shifts", responses=created(OnCallShiftOut))
def create_shift(body: OnCallShiftWrite):
    shift = config.create(body, store=wiring.store(), clock=wiring.now_clock())
    return json_response(201, present_shift(shift))


@router.get("/on_call_shifts/<shift_id>", responses=returns(OnCallShiftOut))
def get_shift(shift_id: str) -> dict:
    return present_shift(config.get(shift_id, store=wiring.store()))


@router.put("/on_call_shifts/<shift_id>", responses=returns(OnCallShiftOut))
def replace_shift(shift_id: str, body: OnCallShiftWrite) -> dict:
    return present_shift(config.replace(shift_id, body, store=wiring.store()))


@router.patch("/on_call_shifts/<shift_id>", responses=returns(OnCallShiftOut))
def patch_shift(shift_id: str, body: OnCallShiftPatch) -> dict:
    return present_shift(config.patch(shift_id, body, store=wiring.store()))


@router.delete("/on_call_shifts/<shift_id>", responses=deleted())
def delete_shift(shift_id: str):
    config.delete(shift_id, store=wiring.store())
    return no_content()
