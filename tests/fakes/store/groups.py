"""The in-memory groups of the store fake (same contract as storage/dynamo/groups.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oncall.models import (
    Alert,
    AlertGroup,
    ResolutionNote,
    TimelineEntry,
)
from oncall.storage.protocols import (
    AlertAlreadyGroupedError,
    GroupChangedError,
    GroupClosedError,
    GroupJoin,
    GroupKeyPointer,
    GroupKeyTakenError,
)
from tests.fakes.store.table import FakeTable


class FakeGroups(FakeTable):
    def __init__(self) -> None:
        super().__init__()
        self.alerts: dict[str, Alert] = {}
        self.groups: dict[str, AlertGroup] = {}
        self.keys: dict[str, GroupKeyPointer] = {}
        self.timeline: list[TimelineEntry] = []
        self.deliveries: set[tuple[str, str]] = set()
        self.resolution_notes: dict[str, ResolutionNote] = {}
        self.counter = 0

    def put_alert(self, alert: Alert) -> None:
        with self._lock:
            if alert.id in self.alerts:
                raise ValueError("alert exists")
            self.alerts[alert.id] = alert

    def get_alert(self, alert_id: str) -> Alert | None:
        return self.alerts.get(alert_id)

    def get_alerts(self, alert_ids: list[str], *, consistent: bool = True) -> dict[str, Alert]:
        return {i: self.alerts[i] for i in alert_ids if i in self.alerts}

    def delete_alert(self, alert_id: str) -> None:
        self.alerts.pop(alert_id, None)

    def list_alerts(self, group_id: str) -> list[Alert]:
        return sorted((a for a in self.alerts.values() if a.group_id == group_id), key=lambda a: (a.received_at, a.id))

    def alert_ids_since(self, group_id: str, since: datetime) -> list[str]:
        return [a.id for a in self.list_alerts(group_id) if a.received_at >= since]

    def next_group_number(self) -> int:
        with self._lock:
            self.counter += 1
            return self.counter

    def get_group_key(self, key: str) -> GroupKeyPointer:
        return self.keys.get(key, GroupKeyPointer())

    def _assign(self, alert: Alert, group_id: str) -> None:
        stored = self.alerts.get(alert.id)
        if stored is None:
            raise KeyError(alert.id)
        if stored.group_id is not None:
            raise AlertAlreadyGroupedError(alert.id)

    def create_group(self, group: AlertGroup, alert: Alert) -> None:
        with self._lock:
            self._assign(alert, group.id)
            if group.grouping_key and self.get_group_key(group.grouping_key).open_group_id:
                raise GroupKeyTakenError(group.grouping_key)
            self.groups[group.id] = group
            self.alerts[alert.id] = self.alerts[alert.id].model_copy(update={"group_id": group.id})
            if group.grouping_key:
                pointer = self.get_group_key(group.grouping_key)
                self.keys[group.grouping_key] = GroupKeyPointer(group.id, pointer.last_resolved_group_id)

    def add_alert_to_group(self, group_id: str, alert: Alert, *, must_be_open: bool) -> GroupJoin:
        with self._lock:
            stored = self.groups.get(group_id)
            if stored is None or (
                must_be_open and self.get_group_key(stored.grouping_key or "").open_group_id != group_id
            ):
                raise GroupClosedError(group_id)
            self._assign(alert, group_id)
            self.groups[group_id] = stored.model_copy(
                update={"alerts_count": stored.alerts_count + 1, "last_alert_id": alert.id}
            )
            self.alerts[alert.id] = self.alerts[alert.id].model_copy(update={"group_id": group_id})
            return GroupJoin(paused=stored.escalation_pause is not None)

    def get_group(self, group_id: str) -> AlertGroup | None:
        return self.groups.get(group_id)

    def list_groups(self) -> list[AlertGroup]:
        return sorted(self.groups.values(), key=lambda g: (g.started_at, g.id), reverse=True)

    def update_group(
        self, group: AlertGroup, changes: dict[str, Any], *, close_grouping_key: bool = False
    ) -> AlertGroup:
        with self._lock:
            stored = self.groups.get(group.id)
            if stored is None or stored.version != group.version:
                raise GroupChangedError(group.id)
            # Only the changed fields are written: concurrent alert appends (alerts_count) are kept.
            self.groups[group.id] = stored.model_copy(update={**changes, "version": group.version + 1})
            key = group.grouping_key
            if close_grouping_key and key and self.get_group_key(key).open_group_id == group.id:
                self.keys[key] = GroupKeyPointer(None, group.id)
            return group.model_copy(update={**changes, "version": group.version + 1})

    def finish_escalation(self, group_id: str, execution_name: str) -> None:
        group = self.groups[group_id]
        if group.escalation and group.escalation.execution_name == execution_name:
            self.groups[group_id] = group.model_copy(update={"escalation_finished": True})

    def delete_group(self, group_id: str) -> None:
        with self._lock:
            self.groups.pop(group_id, None)
            for alert_id in [a.id for a in self.alerts.values() if a.group_id == group_id]:
                del self.alerts[alert_id]
            self.timeline = [e for e in self.timeline if e.group_id != group_id]
            self.deliveries = {d for d in self.deliveries if d[0] != group_id}
            self.group_webhook_responses.pop(group_id, None)
            self.picks = {k: v for k, v in self.picks.items() if k[0] != group_id}

    def wipe_alerts(self, group_id: str, text: str) -> None:
        for alert in self.list_alerts(group_id):
            self.alerts[alert.id] = alert.model_copy(update={"payload": {"message": text}})

    def add_timeline(self, entry: TimelineEntry) -> None:
        self.timeline.append(entry)

    def list_timeline(self, group_id: str) -> list[TimelineEntry]:
        return [e for e in self.timeline if e.group_id == group_id]

    def claim_delivery(self, group_id: str, key: str, at: datetime, *, group_version: int | None = None) -> bool:
        with self._lock:
            if (group_id, key) in self.deliveries:
                return False
            if group_version is not None:
                stored = self.groups.get(group_id)
                if stored is None or stored.version != group_version:
                    raise GroupChangedError(group_id)
            self.deliveries.add((group_id, key))
            return True

    def release_delivery(self, group_id: str, key: str) -> None:
        self.deliveries.discard((group_id, key))

    def put_resolution_note(self, note: ResolutionNote) -> None:
        with self._lock:
            self.resolution_notes[note.id] = note

    def get_resolution_note(self, note_id: str) -> ResolutionNote | None:
        return self.resolution_notes.get(note_id)

    def list_resolution_notes(self, alert_group_id: str | None = None) -> list[ResolutionNote]:
        mine = [n for n in self.resolution_notes.values() if alert_group_id in (None, n.alert_group_id)]
        return sorted(mine, key=lambda n: (n.created_at, n.id))

    def delete_resolution_note(self, note_id: str) -> None:
        with self._lock:
            self.resolution_notes.pop(note_id, None)
