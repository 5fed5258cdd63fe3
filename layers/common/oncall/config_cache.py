"""Configuration as the hot paths see it: read through the store, kept in the container for a few seconds
(OnCall caches 5 s), so a burst of alerts costs one read of each kind instead of one per alert."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from oncall.models import DeploymentSettings, EscalationStep, Heartbeat, Integration, Route, Webhook
from oncall.store import Store


class _Entry:
    __slots__ = ("loaded_at", "value")

    def __init__(self, value: Any, loaded_at: float) -> None:
        self.value = value
        self.loaded_at = loaded_at


class ConfigCache:
    def __init__(self, store: Store, ttl_seconds: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def _cached(self, key: str, load: Callable[[], Any], *, refresh: bool = False) -> Any:
        now = self._monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry.loaded_at < self._ttl and not refresh:
                return entry.value
        value = load()
        with self._lock:
            self._entries[key] = _Entry(value, now)
        return value

    def invalidate(self) -> None:
        with self._lock:
            self._entries.clear()

    def integration_by_token(self, token: str) -> Integration | None:
        """Positive and negative answers are both cached, as OnCall does."""
        return self._cached(f"token:{token}", lambda: self._store.find_integration_by_token(token))

    def integration(self, integration_id: str) -> Integration | None:
        return self._cached(f"integration:{integration_id}", lambda: self._store.get_integration(integration_id))

    def routes_of(self, integration_id: str) -> list[Route]:
        """Every integration has a default route: a cached list without one predates the integration (created
        within the cache's lifetime), so it is read again at once instead of failing its first alerts."""
        routes = [r for r in self._cached("routes", self._store.list_routes) if r.integration_id == integration_id]
        if not any(r.is_default for r in routes):
            fresh = self._cached("routes", self._store.list_routes, refresh=True)
            routes = [r for r in fresh if r.integration_id == integration_id]
        return routes

    def steps_of(self, chain_id: str) -> list[EscalationStep]:
        """A chain unknown to the cached steps is most likely brand new: read again once rather than start an
        escalation with no steps (which would page nobody)."""

        def of_chain(steps: list[EscalationStep]) -> list[EscalationStep]:
            return sorted((s for s in steps if s.escalation_chain_id == chain_id), key=lambda s: (s.position, s.id))

        steps = of_chain(self._cached("steps", self._store.list_steps))
        return steps or of_chain(self._cached("steps", self._store.list_steps, refresh=True))

    def webhooks(self) -> list[Webhook]:
        return self._cached("webhooks", self._store.list_webhooks)

    def heartbeat(self, integration_id: str) -> Heartbeat | None:
        """The heartbeat's settings as the ping path uses them (its state in this copy may be stale)."""
        return self._cached(f"heartbeat:{integration_id}", lambda: self._store.get_heartbeat(integration_id))

    def deployment_settings(self) -> DeploymentSettings:
        return self._cached("settings", self._store.get_deployment_settings)
