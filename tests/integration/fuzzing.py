"""Shared by the fuzz tests (test_fuzz_*.py): hypothesis settings that keep the tier fast, and a count of the
cases each test tried, printed at the end of the run ("fuzz cases tried: …")."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings

CASES: Counter[str] = Counter()
STATUSES: Counter[str] = Counter()
# FUZZ_SCALE=20 pytest tests/integration/test_fuzz_*.py: a longer campaign than the tier runs by default.
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))


def fuzz_settings(max_examples: int) -> Any:
    """Bounded, no deadline (moto calls vary on a shared machine), no example database in the repository.
    The aws fixture is shared by a test's examples on purpose: state accumulates like in a real deployment."""
    return settings(
        max_examples=max(1, round(max_examples * SCALE)),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def count(name: str, status: int | None = None) -> None:
    CASES[name] += 1
    if status is not None:
        STATUSES[f"{status // 100}xx"] += 1


def summary() -> str | None:
    if not CASES:
        return None
    parts = ", ".join(f"{name} {n}" for name, n in sorted(CASES.items()))
    statuses = ", ".join(f"{kind} {n}" for kind, n in sorted(STATUSES.items()))
    return f"fuzz cases tried: {sum(CASES.values())} ({parts}); answers: {statuses}"


# Where a test puts a nested_text() value in a body: json.dumps(body).replace(json.dumps(INNER), text).
INNER = "<inner>"


def nested_text(depth: int, shape: str = "list") -> str:
    """JSON text `depth` levels of arrays/objects deep, built as text (json.dumps of a value nested past
    Python's recursion limit would fail): "list" [[…]], "dict" {"a": {…}}, "mixed" alternating."""
    opening, closing = [], []
    for level in range(depth):
        as_list = shape == "list" or (shape == "mixed" and level % 2 == 0)
        opening.append("[" if as_list else '{"a": ')
        closing.append("]" if as_list else "}")
    return "".join(opening) + '"leaf"' + "".join(reversed(closing))
