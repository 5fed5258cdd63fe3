"""/api/v1/shift_swaps: OnCall's shift swap requests (request, take, change while open, delete). A taken swap
changes who is on call in its schedule (oncall.people.shift_swaps)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from oncall import wiring
from oncall.api.common import Page, PerPage, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.responses import created, deleted, paged, returns
from oncall.models import ShiftSwap
from oncall.people import shift_swaps
from oncall.people.requests import ShiftSwapTake, ShiftSwapWrite
from oncall.platform.bodies import ResponseBody
from oncall.platform.clock import api_time
from oncall.platform.http import json_response, no_content

router = Router()


class ShiftSwapOut(ResponseBody):
    id: str = Field(description="SSR…")
    schedule: str
    swap_start: str
    swap_end: str
    beneficiary: str
    benefactor: str | None
    status: Literal["open", "taken", "past_due"]
    description: str | None
    created_at: str
    updated_at: str


def present_swap(swap: ShiftSwap, now: datetime) -> dict[str, Any]:
    return ShiftSwapOut.build(
        id=swap.id,
        schedule=swap.schedule_id,
        swap_start=api_time(swap.swap_start),
        swap_end=api_time(swap.swap_end),
        beneficiary=swap.beneficiary,
        benefactor=swap.benefactor,
        status=shift_swaps.status(swap, now),
        description=swap.description,
        created_at=api_time(swap.created_at),
        updated_at=api_time(swap.updated_at),
    )


def _present(swap: ShiftSwap) -> dict[str, Any]:
    return present_swap(swap, wiring.now_clock().now())


@router.get("/shift_swaps", responses=paged(ShiftSwapOut))
def list_swaps(
    page: Page = 1,
    perpage: PerPage = DEFAULT_PAGE_SIZE,
    schedule_id: str | None = None,
    beneficiary: str | None = None,
    benefactor: str | None = None,
    open_only: bool = False,
) -> dict:
    """Swaps, oldest first; `schedule_id`, `beneficiary`, `benefactor` and `open_only` filter."""
    now = wiring.now_clock().now()
    swaps = [
        s
        for s in wiring.store().list_shift_swaps()
        if schedule_id in (None, s.schedule_id)
        and beneficiary in (None, s.beneficiary)
        and benefactor in (None, s.benefactor)
        and (not open_only or shift_swaps.status(s, now) == "open")
    ]
    filters = {"schedule_id": schedule_id, "beneficiary": beneficiary, "benefactor": benefactor}
    return page_of(router, [_present(s) for s in swaps], page, perpage, **filters, open_only=open_only or None)


@router.post("/shift_swaps", responses=created(ShiftSwapOut))
def create_swap(body: ShiftSwapWrite):
    swap = shift_swaps.create(body, store=wiring.store(), clock=wiring.now_clock())
    return json_response(201, _present(swap))


@router.get("/shift_swaps/<swap_id>", responses=returns(ShiftSwapOut))
def get_swap(swap_id: str) -> dict:
    return _present(shift_swaps.get(swap_id, store=wiring.store()))


@router.put("/shift_swaps/<swap_id>", responses=returns(ShiftSwapOut))
def update_swap(swap_id: str, body: ShiftSwapWrite) -> dict:
    return _present(shift_swaps.update(swap_id, body, store=wiring.store(), clock=wiring.now_clock()))


@router.post("/shift_swaps/<swap_id>/take", responses=returns(ShiftSwapOut))
def take_swap(swap_id: str, body: ShiftSwapTake) -> dict:
    return _present(shift_swaps.take(swap_id, body, store=wiring.store(), clock=wiring.now_clock()))


@router.delete("/shift_swaps/<swap_id>", responses=deleted())
def delete_swap(swap_id: str):
    shift_swaps.delete(swap_id, store=wiring.store())
    return no_content()
