"""Shift swaps (OnCall's): a user asks for cover of their on-call time in a schedule between two moments; a
taken swap puts the benefactor on call wherever the beneficiary would have been in that time
(schedules._on_call). Status: `open`, `taken`, or `past_due` (ended untaken)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from oncall.models import ShiftSwap
from oncall.people.requests import ShiftSwapTake, ShiftSwapWrite
from oncall.platform import ids
from oncall.platform.clock import Clock
from oncall.platform.errors import ConflictError, NotFoundError, ValidationError
from oncall.storage.protocols import PeopleStore, ScheduleStore


class SwapStore(ScheduleStore, PeopleStore, Protocol):
    """Swaps are checked against the schedule they belong to and the users they name."""


def _field(name: str, message: str) -> ValidationError:
    return ValidationError(f"{name}: {message}", {name: [message]})


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _check(request: ShiftSwapWrite, store: SwapStore, now: datetime) -> tuple[datetime, datetime]:
    if store.get_schedule(request.schedule) is None:
        raise _field("schedule", f"No schedule with id {request.schedule}.")
    if store.get_user(request.beneficiary) is None:
        raise _field("beneficiary", f"No user with id {request.beneficiary}.")
    start, end = _utc(request.swap_start), _utc(request.swap_end)
    if end <= start:
        raise _field("swap_end", "swap_end is not after swap_start.")
    if end <= now:
        raise _field("swap_end", "The swap is over already.")
    return start, end


def create(request: ShiftSwapWrite, *, store: SwapStore, clock: Clock) -> ShiftSwap:
    now = clock.now()
    start, end = _check(request, store, now)
    swap = ShiftSwap(
        id=ids.public_id(ids.PREFIX_SHIFT_SWAP),
        schedule_id=request.schedule,
        swap_start=start,
        swap_end=end,
        beneficiary=request.beneficiary,
        description=request.description,
        created_at=now,
        updated_at=now,
    )
    store.put_shift_swap(swap)
    return swap


def get(swap_id: str, *, store: SwapStore) -> ShiftSwap:
    swap = store.get_shift_swap(swap_id)
    if swap is None:
        raise NotFoundError()
    return swap


def update(swap_id: str, request: ShiftSwapWrite, *, store: SwapStore, clock: Clock) -> ShiftSwap:
    swap = get(swap_id, store=store)
    if swap.benefactor is not None:
        raise ConflictError("A taken swap cannot be changed: delete it and request another.")
    now = clock.now()
    start, end = _check(request, store, now)
    changed = swap.model_copy(
        update={
            "schedule_id": request.schedule,
            "swap_start": start,
            "swap_end": end,
            "beneficiary": request.beneficiary,
            "description": request.description,
            "updated_at": now,
        }
    )
    store.put_shift_swap(changed)
    return changed


def take(swap_id: str, request: ShiftSwapTake, *, store: SwapStore, clock: Clock) -> ShiftSwap:
    swap = get(swap_id, store=store)
    now = clock.now()
    if swap.benefactor is not None:
        raise ConflictError("The swap is taken already.")
    if _utc(swap.swap_end) <= now:
        raise ConflictError("The swap is past due.")
    if store.get_user(request.benefactor) is None:
        raise _field("benefactor", f"No user with id {request.benefactor}.")
    if request.benefactor == swap.beneficiary:
        raise _field("benefactor", "The beneficiary cannot take their own swap.")
    taken = swap.model_copy(update={"benefactor": request.benefactor, "updated_at": now})
    store.put_shift_swap(taken)
    return taken


def delete(swap_id: str, *, store: SwapStore) -> None:
    get(swap_id, store=store)
    store.delete_shift_swap(swap_id)


def status(swap: ShiftSwap, now: datetime) -> str:
    if swap.benefactor:
        return "taken"
    return "past_due" if _utc(swap.swap_end) <= now else "open"
