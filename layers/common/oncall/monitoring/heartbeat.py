"""Heartbeat monitoring (dead man's switch), one heartbeat per integration.

Signals (`GET|HEAD|POST {integration URL}heartbeat/`, `…/start`, `…/fail`) arm the heartbeat and move its
deadline in ONE DynamoDB write, with the settings read from the container's config cache:
- ping: the next ping is expected `period` after it (or at the next `cron` time); missing after `grace` more;
- start: a run started: it must finish (the next ping) within `grace`, else it is missing;
- fail: missing now.
`reset` disarms the heartbeat until the next signal, keeping its "was down" memory (as OnCall), so a ping
after a reset of a down heartbeat still produces the "restored" alert.

Transitions — exactly one "missing" alert per outage and one "restored" alert when pings return — are made by
`process`, which the 1-minute sweep runs for every heartbeat the sparse `heartbeats` index says is due (its
`check_at`: the deadline, or "now" when a ping ends an outage, or a retry time). Each transition is claimed
with a conditional write on the heartbeat's version before its alert is sent, so overlapping or retried
sweeps (and the ping path) never emit twice. The claim records the alert as pending with a fixed alert id;
if sending fails, a later sweep re-sends that same alert (ingest stores it once, route groups it once).

Restores and failures are detected at ping time: the ping that ends an outage (or a `fail`) processes the
heartbeat right away, so the "restored" alert is not a minute late; if that fails, the sweep does it within
a minute. Missing heartbeats are found by the sweep, at most about a minute after their deadline.

The alerts go through the integration's normal pipeline (ingest → queue → route: routes, grouping,
escalation) with payloads shaped like OnCall's for that integration type, so the default templates group the
"missing" and the "restored" alert together and the restore resolves the group.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from oncall.groups.actions import ActionDeps
from oncall.intake.accept import accept_alert
from oncall.intake.queue import AlertQueue
from oncall.intake.types.catalog import get_type
from oncall.models import (
    Heartbeat,
    HeartbeatSignal,
    HeartbeatSignalWrite,
    HeartbeatState,
    HeartbeatTemplates,
    IngestMessage,
    Integration,
    PendingHeartbeatAlert,
)
from oncall.platform import cron, ids
from oncall.platform.clock import humanize_duration
from oncall.platform.errors import ConflictError, UnsupportedMethodError, ValidationError
from oncall.storage.protocols import HeartbeatStore, ItemChangedError

MIN_PERIOD_SECONDS = 60
MAX_SECONDS = 365 * 86400
DEFAULT_PERIOD_SECONDS = 600  # as OnCall
# How long a claimed transition may take to send its alert before another sweep retries it.
LEASE = timedelta(minutes=2)
_MAX_ATTEMPTS = 8

# The alert OnCall sends for Alertmanager-shaped integrations, and the fixed alert_uid per webhook-like type
# (public identifiers of OnCall's heartbeat alerts: an existing route or template that matches them still works).
AM_ALERTNAME = "OnCallHeartBeatMissing"
_FIXED_UIDS = {
    "webhook": "7973c835-ff3f-46e4-9444-06df127b6f8e",
    "formatted_webhook": "fbdad422-b27d-454a-8553-84d1517e0005",
    "zabbix": "191eac7a-d7c1-43a0-8821-eef5afe41367",
    "elastalert": "0eaf37c8-e1eb-4714-b79e-7c648b6a96fa",
    "prtg": "5498ad08-f094-4dff-888e-51f8cac76eab",
}

DEFAULT_TEMPLATES = HeartbeatTemplates(
    missing_title="{{ integration_name }}: heartbeat missing",
    missing_message=(
        '{%- if reason == "fail" -%}{{ integration_name }} reported a failure at {{ failed_at }}.'
        '{%- elif reason == "run_timeout" -%}A run of {{ integration_name }} started at {{ run_started_at }} '
        "and did not finish within {{ grace }}."
        "{%- else -%}No heartbeat from {{ integration_name }} "
        "{% if last_ping_at %}since {{ last_ping_at }}{% else %}since it was armed{% endif %}"
        "{% if expected_at %}; one was expected by {{ expected_at }}{% endif %}.{%- endif %}"
    ),
    restored_title="{{ integration_name }}: heartbeat restored",
    restored_message="{{ integration_name }} is sending heartbeats again (last at {{ last_ping_at }}), "
    "after {{ missing_for }} missing.",
)


# ------------------------------------------------------------------------------------------ schedule
def available(integration: Integration) -> bool:
    """OnCall's heartbeat types, plus every other type a monitoring tool posts to (grafana_alerting and
    kapacitor too: #420). Not direct paging, e-mail or the internal types."""
    kind = get_type(integration.type)
    return kind is not None and kind.has_ingest_url and (kind.heartbeat_available or kind.creatable)


def settings_of(heartbeat: Heartbeat | None, integration_id: str) -> Heartbeat:
    return heartbeat if heartbeat is not None else Heartbeat(integration_id=integration_id)


def next_expected(settings: Heartbeat, after: datetime) -> datetime:
    """When the ping after one at `after` is expected: `period` later, or the next cron time."""
    if settings.cron:
        return cron.next_after(settings.cron, settings.timezone, after)
    return after + timedelta(seconds=settings.period_seconds)


def signal_write(settings: Heartbeat, kind: HeartbeatSignal, now: datetime) -> HeartbeatSignalWrite:
    grace = timedelta(seconds=settings.grace_seconds)
    if kind == HeartbeatSignal.PING:
        expected = next_expected(settings, now)
        return HeartbeatSignalWrite(kind=kind, at=now, expected_at=expected, down_at=expected + grace)
    if kind == HeartbeatSignal.START:
        return HeartbeatSignalWrite(kind=kind, at=now, down_at=now + grace)
    return HeartbeatSignalWrite(kind=kind, at=now, down_at=now)


def state_of(heartbeat: Heartbeat | None, now: datetime) -> HeartbeatState:
    if heartbeat is None or (not heartbeat.enabled and heartbeat.last_signal is None):
        return HeartbeatState.NEW
    if not heartbeat.enabled:
        return HeartbeatState.PAUSED
    if heartbeat.alerted or (heartbeat.down_at is not None and heartbeat.down_at <= now):
        return HeartbeatState.DOWN
    if heartbeat.expected_at is not None and heartbeat.expected_at <= now:
        return HeartbeatState.GRACE
    return HeartbeatState.UP


# ------------------------------------------------------------------------------------------ decisions
@dataclass(frozen=True)
class Decision:
    action: Literal["missing", "restored", "retry", "park"]
    check_at: datetime | None = None  # park: when to look again (None: only when a signal arrives)
    reason: str = ""


def _missing_reason(heartbeat: Heartbeat) -> str:
    if heartbeat.last_signal == HeartbeatSignal.FAIL:
        return "fail"
    if heartbeat.last_signal == HeartbeatSignal.START and heartbeat.last_start_at is not None:
        return "run_timeout"
    return "late"


def decide(heartbeat: Heartbeat, now: datetime) -> Decision:
    """What the sweep does with a heartbeat now. Pure: the state machine of one heartbeat."""
    if heartbeat.pending is not None:
        return Decision("retry")
    if heartbeat.alerted:
        if heartbeat.enabled and heartbeat.pings > heartbeat.pings_when_alerted:
            return Decision("restored", reason="restored")
        return Decision("park")
    if not heartbeat.enabled or heartbeat.down_at is None:
        return Decision("park")
    if heartbeat.down_at <= now:
        return Decision("missing", reason=_missing_reason(heartbeat))
    return Decision("park", check_at=heartbeat.down_at)


# ------------------------------------------------------------------------------------------ alerts
def _when(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else None


def template_context(integration: Integration, heartbeat: Heartbeat, reason: str, now: datetime) -> dict[str, Any]:
    """What the heartbeat's title and message templates can use."""
    down_since = heartbeat.down_since or heartbeat.down_at
    return {
        "integration_name": integration.name,
        "integration_id": integration.id,
        "integration_type": integration.type,
        "state": "up" if reason == "restored" else "down",
        "reason": reason,  # late | run_timeout | fail | restored
        "last_ping_at": _when(heartbeat.last_ping_at),
        "expected_at": _when(heartbeat.expected_at),
        "run_started_at": _when(heartbeat.last_start_at),
        "failed_at": _when(heartbeat.last_fail_at),
        "down_since": _when(down_since),
        "missing_for": humanize_duration((now - down_since).total_seconds()) if down_since else "",
        "period_seconds": heartbeat.period_seconds,
        "grace_seconds": heartbeat.grace_seconds,
        "grace": humanize_duration(heartbeat.grace_seconds),
        "cron": heartbeat.cron,
        "timezone": heartbeat.timezone,
        "outage": heartbeat.outages,
    }


def alert_texts(integration: Integration, heartbeat: Heartbeat, reason: str, now: datetime) -> tuple[str, str]:
    """The alert's title and message: the heartbeat's templates, else ours. Template errors show in place."""
    # Imported here: the ping path (ingest) must not load Jinja2; only alert sending renders templates.
    from oncall.templates.engine import render, render_title

    context = template_context(integration, heartbeat, reason, now)
    prefix = "restored" if reason == "restored" else "missing"
    own, default = heartbeat.templates, DEFAULT_TEMPLATES
    title = getattr(own, f"{prefix}_title") or getattr(default, f"{prefix}_title")
    message = getattr(own, f"{prefix}_message") or getattr(default, f"{prefix}_message")
    return render_title(title, context).value.strip(), render(message, context).value.strip()


def _am_alert(restored: bool, title: str, message: str, started: datetime, now: datetime) -> dict[str, Any]:
    return {
        "status": "resolved" if restored else "firing",
        "labels": {"alertname": AM_ALERTNAME},
        "annotations": {"title": title, "summary": title, "description": message},
        "startsAt": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "endsAt": now.strftime("%Y-%m-%dT%H:%M:%SZ") if restored else "0001-01-01T00:00:00Z",
        "generatorURL": "",
        "fingerprint": hashlib.md5(AM_ALERTNAME.encode(), usedforsecurity=False).hexdigest()[:16],
    }


def alert_payload(
    integration: Integration, restored: bool, title: str, message: str, started: datetime, now: datetime
) -> dict[str, Any]:
    """The heartbeat alert in the shape this integration type's default templates group and resolve."""
    kind = get_type(integration.type)
    slug = kind.slug if kind else integration.type
    flags = {
        "is_oncall_heartbeat": True,
        "is_oncall_heartbeat_restored": restored,
        "is_amixr_heartbeat": True,
        "is_amixr_heartbeat_restored": restored,
    }
    if kind is not None and kind.counts_alertmanager_alerts:  # alertmanager, grafana_alerting
        alert = _am_alert(restored, title, message, started, now)
        return {
            "receiver": "oncall",
            "status": alert["status"],
            "alerts": [alert],
            "groupLabels": {"alertname": AM_ALERTNAME},
            "commonLabels": {"alertname": AM_ALERTNAME},
            "commonAnnotations": alert["annotations"],
            "externalURL": "",
            "version": "4",
            "groupKey": f'{{}}:{{alertname="{AM_ALERTNAME}"}}',
            "truncatedAlerts": 0,
            "numFiring": 0 if restored else 1,
            "numResolved": 1 if restored else 0,
        }
    if kind is not None and kind.based_on_alertmanager and slug != "grafana":  # legacy per-alert types
        return _am_alert(restored, title, message, started, now)
    if slug == "grafana":
        return {"state": "ok" if restored else "alerting", "title": title, "message": message, **flags}
    if slug == "kapacitor":
        return {"id": "OnCallHeartbeat", "level": "OK" if restored else "CRITICAL", "message": message, **flags}
    if slug == "amazon_sns":  # shaped like the CloudWatch alarms this type groups (by AlarmName) and resolves
        return {
            "AlarmName": "OnCall heartbeat",
            "NewStateValue": "OK" if restored else "ALARM",
            "NewStateReason": message,
            "title": title,
            "message": message,
            "state": "OK" if restored else "ALARM",
            **flags,
        }
    uid = _FIXED_UIDS.get(slug) or f"oncall-heartbeat-{slug}"
    return {
        "alert_uid": uid,
        "title": title,
        "message": message,
        "image_url": None,
        "state": "ok" if restored else "alerting",
        "link_to_upstream_details": None,
        **flags,
    }


def _send(
    integration: Integration,
    alert_id: str,
    payload: dict[str, Any],
    deps: ActionDeps,
    queue: AlertQueue,
    *,
    retry: bool,
) -> None:
    """Send the alert once: a retry of the same alert id re-sends the queued message only if route has not
    taken it yet (SQS deduplicates by alert id, and route recognises a redelivered alert anyway)."""
    existing = deps.store.get_alert(alert_id) if retry else None
    if existing is None:
        accept_alert(integration, payload, alert_id, store=deps.store, queue=queue, clock=deps.clock, alert_id=alert_id)
    elif existing.group_id is None:
        queue.send(IngestMessage(alert_id=alert_id, integration_id=integration.id), deduplication_id=alert_id)


# ------------------------------------------------------------------------------------------ transitions
def process(heartbeat: Heartbeat, *, deps: ActionDeps, queue: AlertQueue) -> str | None:
    """Make the heartbeat's due transition, if any. Returns "missing" or "restored" when this call sent
    that alert. Safe to run concurrently: only the caller whose conditional claim succeeds sends."""
    store, now = deps.store, deps.clock.now()
    decision = decide(heartbeat, now)
    if decision.action == "park":
        if heartbeat.check_at != decision.check_at:
            # If a signal moved it meanwhile, the signal set its own check time.
            with contextlib.suppress(ItemChangedError):
                store.put_heartbeat(
                    heartbeat.model_copy(update={"check_at": decision.check_at}), expected_version=heartbeat.version
                )
        return None
    changes: dict[str, Any] = {"check_at": now + LEASE}
    if decision.action == "retry":
        pending = heartbeat.pending
        if pending is None or (heartbeat.check_at is not None and heartbeat.check_at > now):
            return None  # its sender's lease has not run out
    else:
        pending = PendingHeartbeatAlert(
            kind=decision.action, alert_id=ids.public_id(ids.PREFIX_ALERT), reason=decision.reason
        )
        changes["pending"] = pending
        if decision.action == "missing":
            changes.update(
                alerted=True,
                alerted_at=now,
                down_since=heartbeat.down_at,
                outages=heartbeat.outages + 1,
                pings_when_alerted=heartbeat.pings,
            )
        else:
            changes["alerted"] = False
    try:
        claimed = store.put_heartbeat(heartbeat.model_copy(update=changes), expected_version=heartbeat.version)
    except ItemChangedError:
        return None  # another sweep (or a signal) got there first
    integration = store.get_integration(heartbeat.integration_id)
    if integration is not None:
        restored = pending.kind == "restored"
        title, message = alert_texts(integration, claimed, pending.reason, now)
        started = claimed.down_since or now
        payload = alert_payload(integration, restored, title, message, started, now)
        _send(integration, pending.alert_id, payload, deps, queue, retry=decision.action == "retry")
    # Look again at the next sweep: a signal that arrived since the claim may call for the next transition.
    store.clear_heartbeat_pending(heartbeat.integration_id, pending.alert_id, now)
    return pending.kind if integration is not None else None


@dataclass
class SweepResult:
    missing: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def sweep(
    *, deps: ActionDeps, queue: AlertQueue, on_error: Callable[[str, Exception], None] | None = None
) -> SweepResult:
    """Every due heartbeat, from the sparse index. One failing heartbeat does not stop the others; its
    claim expires and the next sweep retries it."""
    result = SweepResult()
    for heartbeat in deps.store.list_due_heartbeats(deps.clock.now()):
        try:
            sent = process(heartbeat, deps=deps, queue=queue)
        except Exception as error:  # noqa: BLE001 - isolate heartbeats from each other; reported to the caller
            result.failed.append(heartbeat.integration_id)
            if on_error is not None:
                on_error(heartbeat.integration_id, error)
            continue
        if sent == "missing":
            result.missing.append(heartbeat.integration_id)
        elif sent == "restored":
            result.restored.append(heartbeat.integration_id)
    return result


# ------------------------------------------------------------------------------------------ signals
@dataclass(frozen=True)
class SignalResult:
    sent: str | None = None  # "missing"/"restored" when the signal's transition was made right away
    error: Exception | None = None  # that transition failed; the sweep will make it


def signal_from_path(suffix: str) -> HeartbeatSignal | None:
    """`start`, `fail`, or an exit status (`0` = success, 1-255 = failure: `curl …/heartbeat/$?`)."""
    named = {"start": HeartbeatSignal.START, "fail": HeartbeatSignal.FAIL}.get(suffix.lower())
    if named is not None:
        return named
    if suffix.isdigit() and int(suffix) <= 255:
        return HeartbeatSignal.PING if int(suffix) == 0 else HeartbeatSignal.FAIL
    return None


def receive_signal(
    integration: Integration, kind: HeartbeatSignal, *, deps: ActionDeps, queue: AlertQueue, method: str = "POST"
) -> SignalResult:
    """A ping, start or fail: one write. A ping that ends an outage, or a fail, then makes its transition
    at once (best effort: the heartbeat is already due for the sweep)."""
    if not available(integration):
        raise ValidationError(f"{integration.type} integrations have no heartbeat.")
    now = deps.clock.now()
    settings = settings_of(deps.config.heartbeat(integration.id), integration.id)
    if settings.post_only and method.upper() != "POST":
        raise UnsupportedMethodError("This heartbeat accepts POST only (its post_only setting).")
    before = deps.store.record_heartbeat_signal(integration.id, signal_write(settings, kind, now))
    if before is not None and before.pending is not None:
        # A sweep is sending this heartbeat's alert: keep its retry time (the signal's write moved it).
        deps.store.check_heartbeat_now(integration.id, before.check_at or now)
        return SignalResult()
    if kind == HeartbeatSignal.PING and before is not None and before.alerted:
        deps.store.check_heartbeat_now(integration.id, now)
    elif kind != HeartbeatSignal.FAIL:
        return SignalResult()
    try:
        current = deps.store.get_heartbeat(integration.id)
        sent = process(current, deps=deps, queue=queue) if current is not None else None
    except Exception as error:  # noqa: BLE001 - the signal is recorded; the sweep retries the transition
        return SignalResult(error=error)
    return SignalResult(sent=sent)


# ------------------------------------------------------------------------------------------ settings
def _rescheduled(heartbeat: Heartbeat) -> Heartbeat:
    """Recompute the deadline of an armed heartbeat after its settings changed."""
    if not heartbeat.enabled or heartbeat.alerted or heartbeat.pending is not None:
        return heartbeat
    grace = timedelta(seconds=heartbeat.grace_seconds)
    if heartbeat.last_signal == HeartbeatSignal.START and heartbeat.last_start_at is not None:
        down = heartbeat.last_start_at + grace
        return heartbeat.model_copy(update={"down_at": down, "check_at": down})
    if heartbeat.last_signal == HeartbeatSignal.PING and heartbeat.last_ping_at is not None:
        expected = next_expected(heartbeat, heartbeat.last_ping_at)
        return heartbeat.model_copy(
            update={"expected_at": expected, "down_at": expected + grace, "check_at": expected + grace}
        )
    return heartbeat


def _change(integration_id: str, store: HeartbeatStore, change: Callable[[Heartbeat], Heartbeat]) -> Heartbeat:
    for _ in range(_MAX_ATTEMPTS):
        current = store.get_heartbeat(integration_id)
        updated = change(settings_of(current, integration_id))
        try:
            return store.put_heartbeat(updated, expected_version=current.version if current else None)
        except ItemChangedError:
            continue
    raise ConflictError("The heartbeat is changing too fast; please retry.")


def configure(integration_id: str, settings: dict[str, Any], *, store: HeartbeatStore) -> Heartbeat:
    """Change settings (period_seconds, grace_seconds, cron, timezone, templates — already validated); an
    armed heartbeat's deadline moves with them."""

    def apply(current: Heartbeat) -> Heartbeat:
        changes = dict(settings)
        if "templates" in changes:
            merged = current.templates.model_dump() | (changes.pop("templates") or {})
            changes["templates"] = HeartbeatTemplates.model_validate(merged)
        return _rescheduled(current.model_copy(update=changes))

    return _change(integration_id, store, apply)


def reset(integration_id: str, *, store: HeartbeatStore) -> Heartbeat:
    """Disarm until the next signal. A down heartbeat stays "was down": its next ping sends "restored"."""

    def apply(current: Heartbeat) -> Heartbeat:
        keep_check = current.check_at if current.pending is not None else None
        return current.model_copy(update={"enabled": False, "last_start_at": None, "check_at": keep_check})

    return _change(integration_id, store, apply)
