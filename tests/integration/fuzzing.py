"""Shared by the fuzz tests (test_fuzz_*.py): hypothesis settings that keep the tier fast, and a count of the
cases each test tried, printed at the end of the run ("fuzz cases tried: …")."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings

CASES: Counter[str] = Counter()


def fuzz_settings(max_examples: int) -> Any:
    """Bounded, no deadline (moto calls vary on a shared machine), no example database in the repository.
    The aws fixture is shared by a test's examples on purpose: state accumulates like in a real deployment."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def count(name: str) -> None:
    CASES[name] += 1


def summary() -> str | None:
    if not CASES:
        return None
    parts = ", ".join(f"{name} {n}" for name, n in sorted(CASES.items()))
    return f"fuzz cases tried: {sum(CASES.values())} ({parts})"
