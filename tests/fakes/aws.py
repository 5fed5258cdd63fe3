"""In-memory stand-ins for the clock and the AWS-backed interfaces other than the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from oncall.models import (
    IngestMessage,
    Notification,
)


class FixedClock:
    """A clock that only moves when the test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass
class FakeQueue:
    sent: list[tuple[IngestMessage, str]] = field(default_factory=list)
    fail: Exception | None = None

    def send(self, message: IngestMessage, deduplication_id: str) -> None:
        if self.fail:
            raise self.fail
        self.sent.append((message, deduplication_id))


@dataclass
class FakeEscalations:
    started: list[tuple[str, str]] = field(default_factory=list)  # escalations: (execution name, group id)
    timers: list[tuple[str, str, dict]] = field(default_factory=list)  # (execution name, kind, data)
    stopped: list[str] = field(default_factory=list)
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)  # execution -> (step, repetition)

    def start(
        self,
        execution_name: str,
        group_id: str,
        kind: str = "escalation",
        data: dict | None = None,
        *,
        step: int = 0,
        repetition: int = 0,
    ) -> None:
        self.positions[execution_name] = (step, repetition)
        if kind == "escalation":
            self.started.append((execution_name, group_id))
        else:
            self.timers.append((execution_name, kind, data or {}))

    def of_kind(self, kind: str) -> list[tuple[str, dict]]:
        return [(name, data) for name, k, data in self.timers if k == kind]

    def stop(self, execution_name: str) -> None:
        self.stopped.append(execution_name)


@dataclass
class FakeNotifier:
    delivered: list[Notification] = field(default_factory=list)
    fail: Exception | None = None

    def deliver(self, notification: Notification) -> None:
        if self.fail:
            raise self.fail
        self.delivered.append(notification)
