"""The in-memory rotations of the store fake (same contract as storage/dynamo/rotations.py)."""

from __future__ import annotations

from oncall.storage.protocols import (
    RotationChangedError,
    RotationState,
)
from tests.fakes.store.table import FakeTable


class FakeRotations(FakeTable):
    def __init__(self) -> None:
        super().__init__()
        self.rotations: dict[str, RotationState] = {}
        self.picks: dict[tuple[str, str], str] = {}

    def get_rotation(self, step_id: str) -> RotationState:
        return self.rotations.get(step_id, RotationState())

    def get_rotation_pick(self, group_id: str, key: str) -> str | None:
        return self.picks.get((group_id, key))

    def record_rotation_pick(
        self, step_id: str, expected: RotationState, user_id: str, group_id: str, key: str
    ) -> None:
        with self._lock:
            if self.get_rotation(step_id).version != expected.version or (group_id, key) in self.picks:
                raise RotationChangedError(step_id)
            self.rotations[step_id] = RotationState(last_user_id=user_id, version=expected.version + 1)
            self.picks[(group_id, key)] = user_id
