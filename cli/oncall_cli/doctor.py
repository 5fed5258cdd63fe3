"""`oncall doctor`: a smoke test of a real deployment, run by a user after `sam deploy`.

It reads the stack's outputs (CloudFormation `DescribeStacks` with the user's credentials), then drives the
deployment like a sender and a responder would: the base URL answers; a temporary integration accepts an
alert; the alert group appears, its escalation starts and its first notification is recorded (the group's
timeline); acknowledging works; the alarm topic has a confirmed e-mail subscription (when AlarmEmail is set).
It deletes what it created and reports every check with its time.

The logic talks to two narrow interfaces (`Api`, `Cloud`) so the unit tests drive it with fakes; the command
(`commands/doctor.py`) gives it requests and boto3.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"
# Outputs the doctor reads (template.yaml Outputs); BaseUrl is the only one it cannot do without.
BASE_URL, TOKEN_SECRET, ALARM_TOPIC, STATE_MACHINE = (
    "BaseUrl",
    "AdminTokenParameter",
    "AlarmTopicArn",
    "EscalationStateMachineArn",
)


class DoctorError(Exception):
    """A check failed; the message says what was seen."""


class Api(Protocol):
    """The deployment over HTTP. `call` raises DoctorError for a non-2xx answer or no answer."""

    def call(self, method: str, path: str, body: dict | None = None) -> Any: ...

    def post_alert(self, url: str, payload: dict) -> int: ...


class Cloud(Protocol):
    """The user's AWS account (only what the doctor reads)."""

    def stack(self, name: str) -> tuple[dict[str, str], dict[str, str]]: ...  # (outputs, parameters)

    def secret(self, name: str) -> str: ...  # an SSM SecureString parameter, decrypted

    def subscriptions(self, topic_arn: str) -> list[dict[str, str]]: ...

    def execution_status(self, execution_arn: str) -> str | None: ...  # None: no such execution (yet)


@dataclass
class Check:
    name: str
    status: str
    seconds: float
    detail: str = ""


@dataclass
class Target:
    """Where the deployment is: from the stack's outputs, or given on the command line."""

    base_url: str
    token: str
    alarm_topic_arn: str = ""
    alarm_email: str = ""
    state_machine_arn: str = ""


@dataclass
class Doctor:
    api_for: Callable[[Target], Api]
    cloud: Cloud | None
    channel: str
    timeout: float = 60.0
    interval: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    checks: list[Check] = field(default_factory=list)
    _cleanup: list[tuple[str, str, dict | None]] = field(default_factory=list)
    _state_machine_arn: str = ""

    @property
    def failed(self) -> bool:
        return any(c.status == FAIL for c in self.checks)

    def _check(self, name: str, step: Callable[[], str]) -> bool:
        started = self.monotonic()
        try:
            detail = step()
        except DoctorError as error:
            self.checks.append(Check(name, FAIL, self.monotonic() - started, str(error)))
            return False
        except (KeyError, TypeError, ValueError, AttributeError) as error:  # an answer of an unexpected shape
            detail = f"unexpected answer ({type(error).__name__}: {error})"
            self.checks.append(Check(name, FAIL, self.monotonic() - started, detail))
            return False
        status = SKIP if detail.startswith("skipped") else PASS
        self.checks.append(Check(name, status, self.monotonic() - started, detail))
        return True

    def _skip_rest(self, names: list[str], reason: str) -> None:
        self.checks.extend(Check(n, FAIL, 0.0, f"not run: {reason}") for n in names)

    def _wait_for(self, what: str, probe: Callable[[], Any]) -> Any:
        deadline = self.monotonic() + self.timeout
        while True:
            found = probe()
            if found:
                return found
            if self.monotonic() >= deadline:
                raise DoctorError(f"{what} not seen within {self.timeout:.0f} s")
            self.sleep(self.interval)

    # -------------------------------------------------------------------------------------------- run
    def run(
        self, *, stack_name: str = "", base_url: str = "", token: str = "", alarm_email: str | None = None
    ) -> list[Check]:
        target: Target | None = None

        def read_stack() -> str:
            nonlocal target
            target = self._target(stack_name, base_url, token, alarm_email)
            return f"{target.base_url}" + (f" (stack {stack_name})" if stack_name else " (given)")

        later = ["base URL answers", "integration accepts an alert", "alert group appears", "escalation started"]
        later += ["first notification recorded", "acknowledge", "alarm e-mail subscription", "clean up"]
        if not self._check("stack outputs", read_stack) or target is None:
            self._skip_rest(later, "no deployment to check")
            return self.checks
        api = self.api_for(target)
        self._state_machine_arn = target.state_machine_arn
        tag = f"oncall-doctor-{secrets.token_hex(4)}"
        state: dict[str, Any] = {}
        try:
            self._smoke(api, tag, state, later)
        finally:
            self._check("clean up", lambda: self._clean_up(api))
        self._check("alarm e-mail subscription", lambda: self._alarm_subscription(target))
        order = {name: i for i, name in enumerate(["stack outputs", *later])}
        self.checks.sort(key=lambda c: order.get(c.name, len(order)))
        return self.checks

    def _smoke(self, api: Api, tag: str, state: dict[str, Any], later: list[str]) -> None:
        steps: list[tuple[str, Callable[[], str]]] = [
            ("base URL answers", lambda: self._answers(api)),
            ("integration accepts an alert", lambda: self._send_alert(api, tag, state)),
            ("alert group appears", lambda: self._group_appears(api, state)),
            ("escalation started", lambda: self._escalation_started(api, state)),
            ("first notification recorded", lambda: self._first_notification(api, state)),
            ("acknowledge", lambda: self._acknowledge(api, state)),
        ]
        for index, (name, step) in enumerate(steps):
            if not self._check(name, step):
                self._skip_rest([n for n, _ in steps[index + 1 :]], f"{name!r} failed")
                return

    # ------------------------------------------------------------------------------------------ checks
    def _target(self, stack_name: str, base_url: str, token: str, alarm_email: str | None) -> Target:
        outputs: dict[str, str] = {}
        parameters: dict[str, str] = {}
        if stack_name:
            if self.cloud is None:
                raise DoctorError("no AWS access to read the stack's outputs")
            outputs, parameters = self.cloud.stack(stack_name)
        url = (base_url or outputs.get(BASE_URL, "")).rstrip("/")
        if not url:
            raise DoctorError("no base URL: give --stack-name (its BaseUrl output) or --base-url")
        if not token and outputs.get(TOKEN_SECRET) and self.cloud is not None:
            token = self.cloud.secret(outputs[TOKEN_SECRET]).strip()
        if not token:
            raise DoctorError("no API token: give --token, or --stack-name to read the AdminTokenParameter output")
        email = parameters.get("AlarmEmail", "") if alarm_email is None else alarm_email
        return Target(url, token, outputs.get(ALARM_TOPIC, ""), email, outputs.get(STATE_MACHINE, ""))

    def _answers(self, api: Api) -> str:
        body = api.call("GET", "integrations?perpage=1")
        if not isinstance(body, dict) or "results" not in body:
            raise DoctorError("the API answered, but not with a page of integrations")
        return "the management API answers with this token"

    def _send_alert(self, api: Api, tag: str, state: dict[str, Any]) -> str:
        chain = api.call("POST", "escalation_chains", {"name": tag})
        self._cleanup.append(("DELETE", f"escalation_chains/{chain['id']}", None))
        api.call(
            "POST",
            "escalation_policies",
            {"escalation_chain_id": chain["id"], "type": "notify_channel", "channel": self.channel},
        )
        integration = api.call(
            "POST",
            "integrations",
            {"type": "alertmanager", "name": tag, "default_route": {"escalation_chain_id": chain["id"]}},
        )
        self._cleanup.insert(0, ("DELETE", f"integrations/{integration['id']}", None))
        state["integration_id"] = integration["id"]
        status = api.post_alert(integration["link"], demo_alert(tag))
        # the host says which front door was checked: the ingest function's URL or the HTTP API (decision 80)
        host = urlsplit(integration["link"]).netloc
        if not 200 <= status < 300:
            raise DoctorError(f"the integration URL on {host} answered HTTP {status}")
        return f"integration {integration['id']} answered HTTP {status} on {host}"

    def _group_appears(self, api: Api, state: dict[str, Any]) -> str:
        def probe() -> dict | None:
            results = api.call("GET", f"alert_groups?integration_id={state['integration_id']}")["results"]
            return results[0] if results else None

        group = self._wait_for("the alert group", probe)
        state["group_id"] = group["id"]
        self._cleanup.insert(0, ("DELETE", f"alert_groups/{group['id']}", {"mode": "delete"}))
        return f"alert group {group['id']}"

    def _timeline(self, api: Api, state: dict[str, Any]) -> list[dict]:
        return api.call("GET", f"alert_groups/{state['group_id']}/timeline")["results"]

    def _timeline_has(self, api: Api, state: dict[str, Any], kind: str) -> str:
        entry = self._wait_for(f"timeline entry {kind!r}", lambda: _first(self._timeline(api, state), {kind}))
        return entry.get("text") or kind

    def _escalation_started(self, api: Api, state: dict[str, Any]) -> str:
        """Step Functions has the group's execution (named after the group), running or done; without AWS
        access (--base-url), the escalation's first timeline entry after the group's registration."""
        if self.cloud is not None and self._state_machine_arn:
            arn = self._state_machine_arn.replace(":stateMachine:", ":execution:", 1) + ":" + state["group_id"]
            status = self._wait_for("the escalation execution", lambda: self.cloud.execution_status(arn))
            if status not in ("RUNNING", "SUCCEEDED"):
                raise DoctorError(f"execution {state['group_id']} is {status}")
            return f"execution {state['group_id']} {status}"
        entry = self._wait_for(
            "the escalation's first timeline entry",
            lambda: next((e for e in self._timeline(api, state) if e.get("type") != "registered"), None),
        )
        return f"timeline: {entry.get('text') or entry.get('type')} (no AWS access: Step Functions not asked)"

    def _first_notification(self, api: Api, state: dict[str, Any]) -> str:
        wanted = {"notified", "notification_failed"}
        entry = self._wait_for("the first notification", lambda: _first(self._timeline(api, state), wanted))
        if entry["type"] == "notification_failed":
            raise DoctorError(f"recorded as failed: {entry.get('text', '')}")
        return entry.get("text") or "notified"

    def _acknowledge(self, api: Api, state: dict[str, Any]) -> str:
        group = api.call("POST", f"alert_groups/{state['group_id']}/acknowledge")
        if group.get("state") != "acknowledged":
            raise DoctorError(f"the group is {group.get('state')!r} after acknowledging")
        self._timeline_has(api, state, "acknowledged")
        return "acknowledged; on the timeline"

    def _clean_up(self, api: Api) -> str:
        problems = []
        done = 0
        for method, path, body in self._cleanup:
            try:
                api.call(method, path, body)
                done += 1
            except DoctorError as error:
                problems.append(f"{path}: {error}")
        self._cleanup.clear()
        if problems:
            raise DoctorError("; ".join(problems))
        return f"deleted {done} object(s)" if done else "nothing to delete"

    def _alarm_subscription(self, target: Target | None) -> str:
        if target is None or not target.alarm_email:
            return "skipped: AlarmEmail is not set"
        if not target.alarm_topic_arn or self.cloud is None:
            raise DoctorError("AlarmEmail is set but the AlarmTopicArn output is unknown (give --stack-name)")
        mine = [
            s
            for s in self.cloud.subscriptions(target.alarm_topic_arn)
            if s.get("Protocol") == "email" and s.get("Endpoint", "").lower() == target.alarm_email.lower()
        ]
        if not mine:
            raise DoctorError(f"no e-mail subscription for {target.alarm_email} on the alarm topic")
        if all(s.get("SubscriptionArn", "") in ("PendingConfirmation", "") for s in mine):
            raise DoctorError(f"{target.alarm_email} has not confirmed (click the link in AWS's e-mail)")
        return f"{target.alarm_email} confirmed"


def _first(entries: list[dict], kinds: set[str]) -> dict | None:
    return next((e for e in entries if e.get("type") in kinds), None)


def demo_alert(tag: str) -> dict:
    """An Alertmanager webhook body, firing, unique to this run (its own grouping key)."""
    labels = {"alertname": "OnCallDoctor", "doctor_run": tag, "severity": "info"}
    return {
        "receiver": "oncall-doctor",
        "status": "firing",
        "version": "4",
        "groupKey": f'{{}}:{{doctor_run="{tag}"}}',
        "groupLabels": {"doctor_run": tag},
        "commonLabels": labels,
        "commonAnnotations": {"summary": "oncall doctor: smoke test of this deployment (deleted afterwards)"},
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": {"summary": "oncall doctor smoke test"},
                "startsAt": "2026-01-01T00:00:00Z",
                "fingerprint": tag,
            }
        ],
    }
