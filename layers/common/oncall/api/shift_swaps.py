"""/api/v1/shift_swaps: OnCall's shift swap requests (request, take, change while open, delete). A taken swap
changes who is on call in its schedule (oncall.people.shift_swaps)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from oncall import wiring
from oncall.api import shapes
from oncall.api.common import Page, PerPage, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.schemas import ShiftSwapTake, ShiftSwapWrite
from oncall.people import shift_swaps
from oncall.platform.http import json_response, no_content

router = Router()


def _present(swap) -> dict:
    return shift_swaps.present(swap, wiring.now_clock().now())


@router.get("/shift_swaps", responses=shapes.page(shapes.ShiftSwapOut))
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


@router.post("/shift_swaps", responses=shapes.created(shapes.ShiftSwapOut))
def create_swap(body: ShiftSwapWrite):
    swap = shift_swaps.create(body, store=wiring.store(), clock=wiring.now_clock())
    return json_response(201, _present(swap))


@router.get("/shift_swaps/<swap_id>", responses=shapes.returns(shapes.ShiftSwapOut))
def get_swap(swap_id: str) -> dict:
    return _present(shift_swaps.get(swap_id, store=wiring.store()))


@router.put("/shift_swaps/<swap_id>", responses=shapes.returns(shapes.ShiftSwapOut))
def update_swap(swap_id: str, body: ShiftSwapWrite) -> dict:
    return _present(shift_swaps.update(swap_id, body, store=wiring.store(), clock=wiring.now_clock()))


@router.post("/shift_swaps/<swap_id>/take", responses=shapes.returns(shapes.ShiftSwapOut))
def take_swap(swap_id: str, body: ShiftSwapTake) -> dict:
    return _present(shift_swaps.take(swap_id, body, store=wiring.store(), clock=wiring.now_clock()))


@router.delete("/shift_swaps/<swap_id>", responses=shapes.deleted())
def delete_swap(swap_id: str):
    shift_swaps.delete(swap_id, store=wiring.store())
    return no_content()
