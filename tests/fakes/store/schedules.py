"""The in-memory schedules of the store fake (same contract as storage/dynamo/schedules.py)."""

from __future__ import annotations

from oncall.models import (
    OnCallShift,
    Schedule,
    ShiftSwap,
)
from oncall.storage.protocols import (
    schedule_user_ids,
)
from tests.fakes.store.table import FakeTable


class FakeSchedules(FakeTable):
    def __init__(self) -> None:
        super().__init__()
        self.schedules: dict[str, Schedule] = {}
        self.on_call_shifts: dict[str, OnCallShift] = {}
        self.shift_swaps: dict[str, ShiftSwap] = {}

    def put_schedule(self, schedule: Schedule) -> None:
        self.schedules[schedule.id] = schedule

    def get_schedule(self, schedule_id: str) -> Schedule | None:
        return self.schedules.get(schedule_id)

    def list_schedules(self) -> list[Schedule]:
        return sorted(self.schedules.values(), key=lambda s: (s.name, s.id))

    def delete_schedule(self, schedule_id: str) -> None:
        self.schedules.pop(schedule_id, None)

    def save_schedule(self, schedule: Schedule) -> None:
        with self._lock:
            self._reference(schedule_user_ids(schedule), [schedule.team_id] if schedule.team_id else [])
            self.schedules[schedule.id] = schedule.model_copy(
                update={"on_call_shifts": [], "taken_swaps": []}
            )  # never stored

    def put_on_call_shift(self, shift: OnCallShift) -> None:
        with self._lock:
            self.on_call_shifts[shift.id] = shift

    def get_on_call_shift(self, shift_id: str) -> OnCallShift | None:
        return self.on_call_shifts.get(shift_id)

    def list_on_call_shifts(self) -> list[OnCallShift]:
        return sorted(self.on_call_shifts.values(), key=lambda s: (s.created_at, s.id))

    def delete_on_call_shift(self, shift_id: str) -> None:
        with self._lock:
            self.on_call_shifts.pop(shift_id, None)

    def put_shift_swap(self, swap: ShiftSwap) -> None:
        with self._lock:
            self.shift_swaps[swap.id] = swap

    def get_shift_swap(self, swap_id: str) -> ShiftSwap | None:
        return self.shift_swaps.get(swap_id)

    def list_shift_swaps(self) -> list[ShiftSwap]:
        return sorted(self.shift_swaps.values(), key=lambda s: (s.created_at, s.id))

    def delete_shift_swap(self, swap_id: str) -> None:
        with self._lock:
            self.shift_swaps.pop(swap_id, None)
