"""One integration's slow templates must not delay every integration (issue 13 item 5).

Route renders an alert's templates (labels, grouping key, resolve/acknowledge conditions, jinja2 routes, the
title) under one shared CPU budget per alert (`templating.alert_budget`): JINJA_RENDER_CPU_SECONDS (4 s) for all
of them together, not for each. Six templates that each use the whole budget now hold an alert — and the
alerts queued behind it in its batch — for 4 s in all, not 6 × 4 s.

An integration whose alerts run out of that budget STRIKES times within STRIKE_WINDOW is flagged: its
`templates_suspended_until` is set (shown by the API on the integration) and, until then, its alerts are
processed with the integration type's default templates (its own overrides, label templates and template
labels are skipped), which are cheap. Strikes are counted in the route container that saw them; the flag is
stored on the integration, so every container honours it once its configuration cache refreshes (5 s).
A change of the integration's templates through the API clears the flag.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

from oncall.models import Integration
from oncall.platform.settings import get_settings

STRIKES = 3
STRIKE_WINDOW = timedelta(minutes=10)
SUSPENSION = timedelta(minutes=15)


def alert_seconds() -> float:
    """The CPU seconds all of one alert's renders share: the budget of one render (JINJA_RENDER_CPU_SECONDS)."""
    return get_settings().jinja_render_cpu_seconds


def is_suspended(integration: Integration, now: datetime) -> bool:
    until = integration.templates_suspended_until
    return until is not None and now < until


def with_default_templates(integration: Integration) -> Integration:
    """The integration as its alerts are processed while suspended: no template of its own."""
    return integration.model_copy(update={"templates": {}, "dynamic_labels": {}, "labels_template": None})


class StrikeCounter:
    """Alerts that ran out of the budget, per integration, in this container."""

    def __init__(self) -> None:
        self._strikes: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def strike(self, integration_id: str, now: datetime) -> bool:
        """Record one; True when the integration has reached STRIKES within STRIKE_WINDOW (then it restarts)."""
        with self._lock:
            recent = self._strikes.setdefault(integration_id, deque())
            recent.append(now)
            while recent and now - recent[0] > STRIKE_WINDOW:
                recent.popleft()
            if len(recent) >= STRIKES:
                recent.clear()
                return True
            return False


STRIKE_COUNTER = StrikeCounter()
