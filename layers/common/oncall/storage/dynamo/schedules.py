"""Schedules, on-call shifts and shift swaps (see docs/storage.md)."""

from __future__ import annotations

from oncall.models import (
    OnCallShift,
    Schedule,
    ShiftSwap,
)
from oncall.storage.dynamo.table import (
    DynamoTable,
    item_key,
    load_model,
    possible_key,
)
from oncall.storage.protocols import (
    schedule_user_ids,
)


class DynamoSchedules(DynamoTable):
    """Schedules (saved with their references checked), on-call shifts, shift swaps."""

    def put_schedule(self, schedule: Schedule) -> None:
        self._put_config("SCHEDULE", schedule, schedule.id)

    def get_schedule(self, schedule_id: str) -> Schedule | None:
        return load_model(Schedule, self._get("CFG#SCHEDULE", schedule_id))

    def list_schedules(self) -> list[Schedule]:
        return sorted(self._list_config("SCHEDULE", Schedule), key=lambda s: (s.name, s.id))

    def delete_schedule(self, schedule_id: str) -> None:
        self._delete_config("SCHEDULE", schedule_id)

    def save_schedule(self, schedule: Schedule) -> None:
        references = [("USER", u) for u in schedule_user_ids(schedule)]
        if schedule.team_id:
            references.append(("TEAM", schedule.team_id))
        self._save_referencing("SCHEDULE", schedule, schedule.id, references)

    # ------------------------------------------------------------------------------------- on-call shifts
    def put_on_call_shift(self, shift: OnCallShift) -> None:
        self._put_config("ON_CALL_SHIFT", shift, shift.id)

    def get_on_call_shift(self, shift_id: str) -> OnCallShift | None:
        return load_model(OnCallShift, self._get("CFG#ON_CALL_SHIFT", shift_id))

    def list_on_call_shifts(self) -> list[OnCallShift]:
        return sorted(self._list_config("ON_CALL_SHIFT", OnCallShift), key=lambda s: (s.created_at, s.id))

    def delete_on_call_shift(self, shift_id: str) -> None:
        if possible_key("CFG#ON_CALL_SHIFT", shift_id):
            self._ddb.delete_item(TableName=self._table, Key=item_key("CFG#ON_CALL_SHIFT", shift_id))

    def put_shift_swap(self, swap: ShiftSwap) -> None:
        self._put_config("SHIFT_SWAP", swap, swap.id)

    def get_shift_swap(self, swap_id: str) -> ShiftSwap | None:
        return load_model(ShiftSwap, self._get("CFG#SHIFT_SWAP", swap_id))

    def list_shift_swaps(self) -> list[ShiftSwap]:
        return sorted(self._list_config("SHIFT_SWAP", ShiftSwap), key=lambda s: (s.created_at, s.id))

    def delete_shift_swap(self, swap_id: str) -> None:
        if possible_key("CFG#SHIFT_SWAP", swap_id):
            self._ddb.delete_item(TableName=self._table, Key=item_key("CFG#SHIFT_SWAP", swap_id))
