"""The in-memory rate limits of the store fake (same contract as storage/dynamo/rate_limits.py)."""

from __future__ import annotations

from datetime import datetime

from tests.fakes.store.table import FakeTable


class FakeRateLimits(FakeTable):
    def __init__(self) -> None:
        super().__init__()
        self.counters: dict[str, int] = {}

    def count_within_limit(self, key: str, limit: int, expires_at: datetime) -> bool:
        with self._lock:
            if self.counters.get(key, 0) >= limit:
                return False
            self.counters[key] = self.counters.get(key, 0) + 1
            return True
