"""/api/v1/on_call_shifts: OnCall's on-call shifts (CRUD, filters `name`, `schedule_id`). Calendar schedules
take them through their `shifts` (or a shift's `schedule_id`), and who is on call is computed from them."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from oncall import wiring
from oncall.api import shapes
from oncall.api.common import Page, PerPage, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.schemas import OnCallShiftPatch, OnCallShiftWrite
from oncall.people import shift_config as config
from oncall.platform.http import json_response, no_content

router = Router()


@router.get("/on_call_shifts", responses=shapes.page(shapes.OnCallShiftOut))
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
    return page_of(router, [config.present(s) for s in shifts], page, perpage, name=name, schedule_id=schedule_id)


@router.post("/on_call_shifts", responses=shapes.created(shapes.OnCallShiftOut))
def create_shift(body: OnCallShiftWrite):
    shift = config.create(body, store=wiring.store(), clock=wiring.now_clock())
    return json_response(201, config.present(shift))


@router.get("/on_call_shifts/<shift_id>", responses=shapes.returns(shapes.OnCallShiftOut))
def get_shift(shift_id: str) -> dict:
    return config.present(config.get(shift_id, store=wiring.store()))


@router.put("/on_call_shifts/<shift_id>", responses=shapes.returns(shapes.OnCallShiftOut))
def replace_shift(shift_id: str, body: OnCallShiftWrite) -> dict:
    return config.present(config.replace(shift_id, body, store=wiring.store()))


@router.patch("/on_call_shifts/<shift_id>", responses=shapes.returns(shapes.OnCallShiftOut))
def patch_shift(shift_id: str, body: OnCallShiftPatch) -> dict:
    return config.present(config.patch(shift_id, body, store=wiring.store()))


@router.delete("/on_call_shifts/<shift_id>", responses=shapes.deleted())
def delete_shift(shift_id: str):
    config.delete(shift_id, store=wiring.store())
    return no_content()
