"""Configuration as the hot paths see it: read through the store, kept in the container for a few seconds
(OnCall caches 5 s), so a burst of alerts costs one read of each kind instead of one per alert."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from oncall.models import DeploymentSettings, EscalationStep, Heartbeat, Integration, Maintenance, Route, Webhook
from oncall.storage.protocols import ConfigurationStore, HeartbeatStore, MaintenanceStore, WebhookStore


class CachedStore(ConfigurationStore, WebhookStore, HeartbeatStore, MaintenanceStore, Protocol):
    """What the cache reads through: configuration, webhooks, heartbeats and maintenances."""


class _Entry:
    __slots__ = ("loaded_at", "value")

    def __init__(self, value: Any, loaded_at: float) -> None:
        self.value = value
        self.loaded_at = loaded_at


class ConfigCache:
    def __init__(self, store: CachedStore, ttl_seconds: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._entries: dict[str, _Entry] = {}
        self._open_groups: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def _cached(self, key: str, load: Callable[[], Any]) -> Any:
        now = self._monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry.loaded_at < self._ttl:
                return entry.value
        value = load()
        with self._lock:
            self._entries[key] = _Entry(value, now)
        return value

    def invalidate(self) -> None:
        with self._lock:
            self._entries.clear()
            self._open_groups.clear()

    def _older_than(self, key: str, marker: str) -> bool:
        """Was `key` loaded before `marker` was last set (or `marker` expired)? Sets `marker` if so: a list
        is re-read for something it misses at most once per TTL."""
        if self._ttl <= 0:
            return False  # nothing is kept: the list was just read
        now = self._monotonic()
        with self._lock:
            entry, mark = self._entries.get(key), self._entries.get(marker)
            if entry is None or (mark is not None and now - mark.loaded_at < self._ttl):
                return False
            self._entries[marker] = _Entry(True, now)
            self._entries.pop(key, None)
            return True

    def integration_by_token(self, token: str) -> Integration | None:
        """Positive and negative answers are both cached, as OnCall does."""
        return self._cached(f"token:{token}", lambda: self._store.find_integration_by_token(token))

    def integration(self, integration_id: str) -> Integration | None:
        return self._cached(f"integration:{integration_id}", lambda: self._store.get_integration(integration_id))

    def routes_of(self, integration_id: str) -> list[Route]:
        """Every integration has a default route: a cached list without one for this integration predates
        the integration, and is read again (a new integration's first alerts must not fail for 5 s)."""
        routes = [r for r in self._cached("routes", self._store.list_routes) if r.integration_id == integration_id]
        if not any(r.is_default for r in routes) and self._older_than("routes", f"routes-miss:{integration_id}"):
            return self.routes_of(integration_id)
        return routes

    def steps_of(self, chain_id: str) -> list[EscalationStep]:
        """A chain missing from the cached steps may be newer than the list: read it again once (a group
        created just after its chain must not snapshot an empty chain and page no one)."""
        steps = [s for s in self._cached("steps", self._store.list_steps) if s.escalation_chain_id == chain_id]
        if not steps and self._older_than("steps", f"steps-miss:{chain_id}"):
            return self.steps_of(chain_id)
        return sorted(steps, key=lambda s: (s.position, s.id))

    def webhooks(self) -> list[Webhook]:
        return self._cached("webhooks", self._store.list_webhooks)

    def heartbeat(self, integration_id: str) -> Heartbeat | None:
        """The heartbeat's settings as the ping path uses them (its state in this copy may be stale)."""
        return self._cached(f"heartbeat:{integration_id}", lambda: self._store.get_heartbeat(integration_id))

    def maintenance(self, integration_id: str) -> Maintenance | None:
        """The integration's maintenance as last read: act on "none" only; re-read one that is present."""
        return self._cached(f"maintenance:{integration_id}", lambda: self._store.get_maintenance(integration_id))

    def deployment_settings(self) -> DeploymentSettings:
        return self._cached("settings", self._store.get_deployment_settings)

    # Grouping keys' open groups as this container last saw them (grouping.OpenGroupHints): not
    # configuration, but a hint kept as long. Joining a group re-checks in its write that it is still open.
    _MAX_OPEN_GROUP_HINTS = 10_000

    def open_group(self, key: str) -> str | None:
        with self._lock:
            entry = self._open_groups.get(key)
            if entry is None or self._monotonic() - entry.loaded_at >= self._ttl:
                return None
            return entry.value

    def remember_open_group(self, key: str, group_id: str) -> None:
        with self._lock:
            if len(self._open_groups) >= self._MAX_OPEN_GROUP_HINTS:
                self._open_groups.clear()
            self._open_groups[key] = _Entry(group_id, self._monotonic())

    def forget_open_group(self, key: str) -> None:
        with self._lock:
            self._open_groups.pop(key, None)
