"""`oncall doctor`'s logic (cli/oncall_cli/doctor.py) against an in-memory deployment and AWS account: what
each check concludes, that failures stop the checks that depend on them, and that it always cleans up."""

from __future__ import annotations

from typing import Any

import pytest

from oncall_cli.doctor import FAIL, PASS, SKIP, Doctor, DoctorError, Target

OUTPUTS = {
    "BaseUrl": "https://abc123.execute-api.us-east-1.amazonaws.com",
    "AdminTokenParameter": "/oncall/admin-token",
    "AlarmTopicArn": "arn:aws:sns:us-east-1:123456789012:oncall-AlarmTopic-1",
    "EscalationStateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:oncall-escalation",
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class FakeDeployment:
    """The management API and integration URLs of a deployment, in memory, with knobs for what goes wrong."""

    def __init__(self, *, group_after_polls: int = 1, notification: str = "notified", ack_state: str = "acknowledged"):
        self.objects: dict[str, dict] = {}
        self.calls: list[tuple[str, str]] = []
        self.alerts: list[tuple[str, dict]] = []
        self.group_after_polls = group_after_polls
        self.notification = notification
        self.ack_state = ack_state
        self.alert_status = 200
        self.target: Target | None = None
        self.acknowledged = False

    def __call__(self, target: Target) -> FakeDeployment:  # the Doctor's api_for
        self.target = target
        return self

    def _new(self, kind: str, body: dict) -> dict:
        obj = {"id": f"{kind[0].upper()}{len(self.objects) + 1}", **(body or {})}
        self.objects[obj["id"]] = obj
        return obj

    def call(self, method: str, path: str, body: dict | None = None) -> Any:
        self.calls.append((method, path))
        route, _, query = path.partition("?")
        parts = route.split("/")
        if method == "GET" and route == "integrations":
            return {"results": [], "next": None}
        if method == "POST" and route in ("escalation_chains", "escalation_policies"):
            return self._new(route, body)
        if method == "POST" and route == "integrations":
            return {**self._new(route, body), "link": "https://abc123/integrations/v1/alertmanager/tok/"}
        if method == "GET" and route == "alert_groups":
            if not self.alerts:
                return {"results": []}
            self.group_after_polls -= 1
            return {"results": [{"id": "G1", "state": "firing"}] if self.group_after_polls <= 0 else []}
        if method == "GET" and parts[0] == "alert_groups" and parts[-1] == "timeline":
            entries = [{"type": "registered", "text": "Alert group registered."}]
            entries.append({"type": self.notification, "text": f"{self.notification}: ses://o***@example.com"})
            if self.acknowledged:
                entries.append({"type": "acknowledged", "text": "Acknowledged by the API."})
            return {"results": entries}
        if method == "POST" and route.endswith("/acknowledge"):
            self.acknowledged = self.ack_state == "acknowledged"
            return {"id": "G1", "state": self.ack_state}
        if method == "DELETE":
            return None
        raise DoctorError(f"{method} {path}: HTTP 404")

    def post_alert(self, url: str, payload: dict) -> int:
        self.alerts.append((url, payload))
        return self.alert_status


class FakeCloud:
    def __init__(
        self, *, alarm_email: str = "", subscriptions: list[dict] | None = None, executions: list | None = None
    ):
        self.parameters = {"AlarmEmail": alarm_email, "LogLevel": "INFO"}
        self.subs = subscriptions or []
        self.secrets_read: list[str] = []
        self.executions = list(executions or ["RUNNING"])  # what describe_execution answers, poll by poll
        self.executions_asked: list[str] = []

    def execution_status(self, execution_arn: str) -> str | None:
        self.executions_asked.append(execution_arn)
        return self.executions.pop(0) if len(self.executions) > 1 else self.executions[0]

    def stack(self, name: str) -> tuple[dict[str, str], dict[str, str]]:
        if name != "oncall":
            raise DoctorError(f"cannot read stack {name!r}: Stack with id {name} does not exist")
        return OUTPUTS, self.parameters

    def secret(self, name: str) -> str:
        self.secrets_read.append(name)
        return "admin-token\n"

    def subscriptions(self, topic_arn: str) -> list[dict[str, str]]:
        assert topic_arn == OUTPUTS["AlarmTopicArn"]
        return self.subs


def _doctor(deployment: FakeDeployment, cloud: FakeCloud | None = None, clock: FakeClock | None = None) -> Doctor:
    clock = clock or FakeClock()
    return Doctor(
        deployment, cloud, "ses://oncall@example.com", timeout=30, sleep=clock.sleep, monotonic=clock.monotonic
    )


def _results(checks) -> dict[str, str]:
    return {c.name: c.status for c in checks}


def _deleted(deployment: FakeDeployment) -> list[str]:
    return [path for method, path in deployment.calls if method == "DELETE"]


def test_a_healthy_deployment_passes_every_check_and_leaves_nothing_behind():
    # given a deployment whose alert group appears on the second poll, and no AlarmEmail
    deployment, cloud = FakeDeployment(group_after_polls=2), FakeCloud()
    doctor = _doctor(deployment, cloud)

    # when the doctor runs with only the stack name
    checks = doctor.run(stack_name="oncall")

    # then it used the stack's URL and admin token, every check passed, and the alarm check was skipped
    assert deployment.target == Target(
        OUTPUTS["BaseUrl"], "admin-token", OUTPUTS["AlarmTopicArn"], "", OUTPUTS["EscalationStateMachineArn"]
    )
    assert cloud.secrets_read == [OUTPUTS["AdminTokenParameter"]]
    assert set(cloud.executions_asked) == {"arn:aws:states:us-east-1:123456789012:execution:oncall-escalation:G1"}
    assert _results(checks) == {
        "stack outputs": PASS,
        "base URL answers": PASS,
        "integration accepts an alert": PASS,
        "alert group appears": PASS,
        "escalation started": PASS,
        "first notification recorded": PASS,
        "acknowledge": PASS,
        "alarm e-mail subscription": SKIP,
        "clean up": PASS,
    }
    assert not doctor.failed
    # the chain notifies the given channel; the alert went to the integration's own URL
    policy = next(o for o in deployment.objects.values() if o.get("type") == "notify_channel")
    assert policy["channel"] == "ses://oncall@example.com"
    [(url, payload)] = deployment.alerts
    assert url.endswith("/integrations/v1/alertmanager/tok/") and payload["status"] == "firing"
    assert _detail(checks, "integration accepts an alert").endswith("answered HTTP 200 on abc123")
    # and it deleted the group, then the integration, then the chain
    assert [p.split("/")[0] for p in _deleted(deployment)] == ["alert_groups", "integrations", "escalation_chains"]


def test_a_failed_first_notification_fails_with_its_reason_and_stops_what_depends_on_it():
    deployment = FakeDeployment(notification="notification_failed")
    doctor = _doctor(deployment, FakeCloud())

    checks = {c.name: c for c in doctor.run(stack_name="oncall")}

    assert checks["first notification recorded"].status == FAIL
    assert "ses://o***@example.com" in checks["first notification recorded"].detail
    assert checks["acknowledge"].status == FAIL and "not run" in checks["acknowledge"].detail
    assert checks["clean up"].status == PASS and len(_deleted(deployment)) == 3
    assert doctor.failed


def test_a_group_that_never_appears_times_out_on_the_clock_and_still_cleans_up():
    clock = FakeClock()
    deployment = FakeDeployment(group_after_polls=10**6)
    doctor = _doctor(deployment, FakeCloud(), clock)

    checks = {c.name: c for c in doctor.run(stack_name="oncall")}

    assert checks["alert group appears"].status == FAIL
    assert "not seen within 30 s" in checks["alert group appears"].detail
    assert clock.now >= 30
    assert [p.split("/")[0] for p in _deleted(deployment)] == ["integrations", "escalation_chains"]


def test_an_integration_url_that_refuses_the_alert_fails_the_check():
    deployment = FakeDeployment()
    deployment.alert_status = 503
    checks = {c.name: c for c in _doctor(deployment, FakeCloud()).run(stack_name="oncall")}
    assert checks["integration accepts an alert"].status == FAIL
    # the failure names the host that answered: the ingest function's URL or the HTTP API (decision 80)
    assert checks["integration accepts an alert"].detail == "the integration URL on abc123 answered HTTP 503"
    assert checks["alert group appears"].status == FAIL


def test_an_acknowledge_that_does_not_stick_fails():
    deployment = FakeDeployment(ack_state="firing")
    checks = {c.name: c for c in _doctor(deployment, FakeCloud()).run(stack_name="oncall")}
    assert checks["acknowledge"].status == FAIL and "'firing'" in checks["acknowledge"].detail


@pytest.mark.parametrize(
    ("subscriptions", "status", "detail"),
    [
        ([], FAIL, "no e-mail subscription"),
        (
            [{"Protocol": "email", "Endpoint": "ops@example.com", "SubscriptionArn": "PendingConfirmation"}],
            FAIL,
            "not confirmed",
        ),
        (
            [{"Protocol": "email", "Endpoint": "Ops@Example.com", "SubscriptionArn": "arn:aws:sns:...:1"}],
            PASS,
            "confirmed",
        ),
    ],
)
def test_the_alarm_email_must_have_confirmed_its_subscription(subscriptions, status, detail):
    cloud = FakeCloud(alarm_email="ops@example.com", subscriptions=subscriptions)
    checks = {c.name: c for c in _doctor(FakeDeployment(), cloud).run(stack_name="oncall")}
    assert checks["alarm e-mail subscription"].status == status
    assert detail in checks["alarm e-mail subscription"].detail


def test_an_unknown_stack_fails_first_and_touches_nothing():
    deployment = FakeDeployment()
    checks = _doctor(deployment, FakeCloud()).run(stack_name="nope")
    assert checks[0].status == FAIL and "does not exist" in checks[0].detail
    assert all(c.status == FAIL for c in checks) and deployment.calls == []


def test_a_base_url_and_token_are_enough_without_aws():
    deployment = FakeDeployment()
    doctor = _doctor(deployment, None)
    checks = doctor.run(base_url="http://127.0.0.1:8080/", token="t0ken")
    assert deployment.target == Target("http://127.0.0.1:8080", "t0ken", "", "")
    assert not doctor.failed and _results(checks)["alarm e-mail subscription"] == SKIP


def test_timings_come_from_the_clock():
    clock = FakeClock()
    deployment = FakeDeployment(group_after_polls=3)
    checks = {c.name: c for c in _doctor(deployment, FakeCloud(), clock).run(stack_name="oncall")}
    assert checks["alert group appears"].seconds == pytest.approx(2.0)  # two 1 s waits before it showed
    assert checks["stack outputs"].seconds == 0.0


def test_the_escalation_execution_is_waited_for_and_a_failed_one_fails():
    # given Step Functions has no execution yet, then one that failed
    cloud = FakeCloud(executions=[None, None, "FAILED"])
    checks = {c.name: c for c in _doctor(FakeDeployment(), cloud).run(stack_name="oncall")}
    assert checks["escalation started"].status == FAIL
    assert "is FAILED" in checks["escalation started"].detail
    assert len(cloud.executions_asked) == 3


def test_without_aws_the_escalation_is_seen_on_the_timeline():
    checks = {c.name: c for c in _doctor(FakeDeployment(), None).run(base_url="http://x", token="t")}
    assert checks["escalation started"].status == PASS
    assert "no AWS access" in checks["escalation started"].detail


def test_an_answer_of_an_unexpected_shape_is_a_failure_not_a_crash():
    class NoLink(FakeDeployment):
        def call(self, method: str, path: str, body: dict | None = None) -> Any:
            answer = super().call(method, path, body)
            return {k: v for k, v in answer.items() if k != "link"} if path == "integrations" else answer

    deployment = NoLink()
    checks = {c.name: c for c in _doctor(deployment, FakeCloud()).run(stack_name="oncall")}
    assert checks["integration accepts an alert"].status == FAIL
    assert "KeyError" in checks["integration accepts an alert"].detail
    assert [p.split("/")[0] for p in _deleted(deployment)] == ["integrations", "escalation_chains"]


def _detail(checks, name: str) -> str:
    return next(c.detail for c in checks if c.name == name)
