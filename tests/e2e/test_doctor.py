"""`oncall doctor` against the running local stack, reading "the stack's outputs" from CloudFormation (moto's,
at the local stack's AWS endpoint): a stack whose outputs point at the local deployment, with an alarm topic
and an e-mail subscription, as `sam deploy` leaves them."""

from __future__ import annotations

import json
import secrets

import boto3
import pytest
from typer.testing import CliRunner

from oncall_cli.main import app
from tests.e2e.conftest import ADMIN_TOKEN

pytestmark = pytest.mark.e2e
runner = CliRunner()
ALARM_EMAIL = "ops@example.com"


@pytest.fixture
def aws_at_the_local_stack(local_stack, monkeypatch):
    # the stack's administrator credentials: like a user's own after `sam deploy` (IAM is enforced there)
    for key, value in local_stack.aws_environment().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)
    monkeypatch.delenv("ONCALL_TOKEN", raising=False)
    return local_stack


def _deployed_stack(local_stack, *, alarm_email: str, subscribed: bool = True) -> str:
    """A CloudFormation stack in the local stack's moto with the outputs `oncall doctor` reads, and the alarm
    topic with AlarmEmail's e-mail subscription (unless `subscribed` is false)."""
    session = boto3.session.Session(region_name="us-east-1")
    parameter = next(
        p["Name"]
        for p in session.client("ssm").describe_parameters()["Parameters"]
        if p["Name"].endswith("/admin-token")
    )
    [machine] = session.client("stepfunctions").list_state_machines()["stateMachines"]
    topic: dict = {"DisplayName": "alarms"}
    if subscribed:
        topic["Subscription"] = [{"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}]
    template = {
        "Parameters": {"AlarmEmail": {"Type": "String", "Default": ""}},
        "Resources": {"AlarmTopic": {"Type": "AWS::SNS::Topic", "Properties": topic}},
        "Outputs": {
            "BaseUrl": {"Value": local_stack.base_url},
            "AdminTokenParameter": {"Value": parameter},
            "AlarmTopicArn": {"Value": {"Ref": "AlarmTopic"}},
            "EscalationStateMachineArn": {"Value": machine["stateMachineArn"]},
        },
    }
    name = f"doctor-{secrets.token_hex(3)}"
    cloudformation = session.client("cloudformation")
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "AlarmEmail", "ParameterValue": alarm_email}],
    )
    cloudformation.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig={"Delay": 1})
    return name


def _integrations(local_stack) -> set[str]:
    return {i["name"] for i in local_stack.api("GET", "integrations", params={"perpage": 100}).json()["results"]}


def test_the_doctor_passes_on_the_local_stack_and_leaves_it_as_it_was(aws_at_the_local_stack):
    # given a deployed stack (its outputs and AlarmEmail) and the integrations it has now
    stack = aws_at_the_local_stack
    name = _deployed_stack(stack, alarm_email=ALARM_EMAIL)
    before = _integrations(stack)

    # when the user runs the doctor with the stack name only
    result = runner.invoke(
        app,
        ["doctor", "--stack-name", name, "--region", "us-east-1", "--channel", "outbox://doctor", "--timeout", "20"],
    )

    # then every check passed (the admin token came from the stack's secret), with a table of timings
    assert result.exit_code == 0, result.output
    for check in (
        "base URL answers",
        "integration accepts an alert",
        "alert group appears",
        "escalation started",
        "first notification recorded",
        "acknowledge",
        "alarm e-mail subscription",
        "clean up",
    ):
        line = next(ln for ln in result.output.splitlines() if check in ln)
        assert "PASS" in line, result.output
    assert "FAIL" not in result.output
    # and its temporary integration is gone, and nothing else changed
    assert _integrations(stack) == before
    assert not any(n.startswith("oncall-doctor-") for n in _integrations(stack))


def test_the_doctor_fails_with_exit_code_1_when_a_check_fails(aws_at_the_local_stack):
    # given a stack whose AlarmEmail has no subscription on the alarm topic
    stack = aws_at_the_local_stack
    name = _deployed_stack(stack, alarm_email=ALARM_EMAIL, subscribed=False)

    # when the doctor runs
    result = runner.invoke(
        app,
        ["doctor", "--stack-name", name, "--region", "us-east-1", "--channel", "outbox://doctor", "--timeout", "20"],
    )

    # then the alarm check fails, the exit code says so, and the smoke test still cleaned up after itself
    assert result.exit_code == 1, result.output
    line = next(ln for ln in result.output.splitlines() if "alarm e-mail subscription" in ln)
    assert "FAIL" in line
    assert not any(n.startswith("oncall-doctor-") for n in _integrations(stack))


def test_the_doctor_with_a_base_url_and_a_token_needs_no_aws(local_stack, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    result = runner.invoke(
        app,
        ["doctor", "--base-url", local_stack.base_url, "--token", ADMIN_TOKEN, "--channel", "outbox://doctor"],
    )
    assert result.exit_code == 0, result.output
    assert "SKIP" in next(ln for ln in result.output.splitlines() if "alarm e-mail subscription" in ln)


def test_a_wrong_token_fails_the_first_api_check(local_stack):
    result = runner.invoke(
        app, ["doctor", "--base-url", local_stack.base_url, "--token", "wrong", "--channel", "outbox://doctor"]
    )
    assert result.exit_code == 1
    line = next(ln for ln in result.output.splitlines() if "base URL answers" in ln)
    assert "FAIL" in line and "401" in result.output
