"""What the aggregate fakes share: one lock (the fake is used from threads) and the helpers two aggregates use."""

from __future__ import annotations

import threading
from typing import Any

from oncall.storage.protocols import (
    ItemChangedError,
    MissingReferenceError,
)


class FakeTable:
    def __init__(self) -> None:
        self._lock = threading.RLock()

    def _reference(self, users: list[str], teams: list[str]) -> None:
        missing = [u for u in users if u not in self.users] + [t for t in teams if t not in self.teams]
        if missing:
            raise MissingReferenceError(missing)
        for item_id in [*users, *teams]:
            self.reference_epochs[item_id] = self.reference_epochs.get(item_id, 0) + 1

    def _check_version(self, stored: Any, expected_version: int | None, key: str) -> None:
        if (stored.version if stored is not None else None) != expected_version:
            raise ItemChangedError(key)
