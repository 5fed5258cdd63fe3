"""The integration stack is the deployed shape: each function runs with only its own environment and only its
own role's permissions (IAM enforced by moto), built from the CloudFormation `sam deploy` submits. A policy
or variable missing from template.yaml fails here the way it fails on AWS."""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import boto3
import pytest

from oncall_local.template import REPO_ROOT, TEMPLATE_PATH
from tests.builders import am_payload
from tests.integration.conftest import BASE_URL, aws_stack, create_chain, create_integration, ingest_path


def _template_without(tmp_path: Path, resource: str, prop: str = "Policies") -> Path:
    """A copy of template.yaml with one property of one resource deleted (its lines, up to the next line
    indented no deeper than the property)."""
    lines = TEMPLATE_PATH.read_text().splitlines(keepends=True)
    start = lines.index(f"  {resource}:\n")
    at = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == f"{prop}:")
    depth = len(lines[at]) - len(lines[at].lstrip())
    end = at + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > depth):
        end += 1
    copy = tmp_path / "template" / "template.yaml"
    copy.parent.mkdir()
    copy.write_text("".join(lines[:at] + lines[end:]))
    shutil.copytree(REPO_ROOT / "statemachines", copy.parent / "statemachines")  # DefinitionUri is relative
    return copy


@pytest.fixture
def stack_without_ingest_policies(tmp_path):
    yield from aws_stack(tmp_path, template_path=_template_without(tmp_path, "IngestFunction"))


@pytest.fixture
def stack_without_state_machine_policies(tmp_path):
    yield from aws_stack(tmp_path, template_path=_template_without(tmp_path, "EscalationStateMachine"))


def test_each_function_sees_only_its_own_environment(aws):
    from oncall.platform.settings import get_settings

    # given the harness's own environment holds every output (as a test reading the stack does)
    assert os.environ["ESCALATION_STATE_MACHINE_ARN"] and os.environ["ADMIN_TOKEN_PARAMETER"]
    # then the ingest function sees only what the template gives it
    with aws.functions.entered("IngestFunction"):
        ingest = get_settings()
    assert ingest.table_name == aws.topology.table_name and ingest.ingest_queue_url == aws.topology.ingest_queue_url
    assert ingest.escalation_state_machine_arn == "" and ingest.admin_token_parameter == ""
    assert ingest.events_queue_url == ""
    # and the API function its own
    with aws.functions.entered("ApiFunction"):
        api = get_settings()
    assert api.admin_token_parameter == aws.topology.admin_token_parameter
    assert api.escalation_state_machine_arn == aws.topology.state_machine_arn
    assert "ADMIN_TOKEN_PARAMETER" not in aws.functions.environment("IngestFunction")


def test_each_function_calls_aws_as_its_own_role(aws):
    from oncall.platform import aws as oncall_aws

    # when each function's code asks who it is
    identities = {}
    for name in aws.topology.functions:
        with aws.functions.entered(name):
            identities[name] = oncall_aws.client("sts").get_caller_identity()["Arn"]
    # then each is its own role's session, and the test itself is the harness's administrator
    for name, arn in identities.items():
        assert f":assumed-role/oncall-local-{name}Role/" in arn, arn
    assert boto3.client("sts").get_caller_identity()["Arn"].endswith(":user/oncall-local-harness")


def test_a_function_is_refused_what_its_role_does_not_allow(aws):
    from botocore.exceptions import ClientError

    from oncall.platform import aws as oncall_aws

    # when the ingest function's code tries what only the API may do (start an escalation)
    with aws.functions.entered("IngestFunction"), pytest.raises(ClientError) as refused:
        oncall_aws.client("stepfunctions").start_execution(stateMachineArn=aws.topology.state_machine_arn, input="{}")
    # then AWS's answer: AccessDenied
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"


def test_a_policy_missing_from_the_template_fails_as_on_aws(stack_without_ingest_policies, caplog):
    # given a template whose IngestFunction lost its Policies (the API still works: its policies are intact)
    stack = stack_without_ingest_policies
    integration = create_integration(stack)
    service = logging.getLogger("serverless-oncall")  # the functions' Powertools logger
    service.addHandler(caplog.handler)
    try:
        # when an alert is posted
        response = stack.http("POST", ingest_path(integration), am_payload())
    finally:
        service.removeHandler(caplog.handler)
    # then the sender gets a 5xx (and retries) and the log says AccessDenied, as on AWS
    assert response.status >= 500, response
    assert "AccessDenied" in caplog.text and "IngestFunctionRole" in caplog.text


def test_the_state_machine_runs_its_tasks_with_its_own_role(stack_without_state_machine_policies):
    # given a template whose state machine lost its LambdaInvokePolicy
    stack = stack_without_state_machine_policies
    chain = create_chain(stack, [{"type": "notify_channel", "channel": "outbox://ops"}])
    integration = create_integration(stack, chain_id=chain["id"])
    # when an alert opens a group and its escalation starts
    stack.http("POST", ingest_path(integration), am_payload())
    stack.drain()
    [group] = stack.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body["results"]
    # then its task cannot invoke the escalate function: the execution fails, nobody is notified
    assert stack.execution_status(group["id"]) == "FAILED"
    history = boto3.client("stepfunctions").get_execution_history(executionArn=stack.execution_arn(group["id"]))
    causes = json.dumps(history["events"], default=str)
    assert "AccessDenied" in causes or "not authorized" in causes
    assert stack.outbox_lines() == []


def test_event_sources_and_roles_come_from_the_translated_template(aws):
    topology = aws.topology
    # HTTP routes from the HTTP API's OpenAPI body (SAM's HttpApi events)
    routes = {(r.method, r.path, r.function) for r in topology.http_routes}
    assert ("ANY", "/integrations/v1/{proxy+}", "IngestFunction") in routes
    assert {("GET", "/actions/{token}", "ApiFunction"), ("POST", "/actions/{token}", "ApiFunction")} <= routes
    # queue → function mappings from AWS::Lambda::EventSourceMapping
    mappings = {m.function: m for m in topology.queue_mappings}
    assert mappings["RouteFunction"].queue_url == topology.ingest_queue_url
    assert (mappings["RouteFunction"].batch_size, mappings["WebhooksFunction"].batch_size) == (10, 5)
    assert all(m.report_batch_item_failures for m in mappings.values())
    # the schedule from AWS::Scheduler::Schedule, with its own role
    [schedule] = topology.schedules
    assert (schedule.function, schedule.expression) == ("HeartbeatCheckFunction", "rate(1 minute)")
    assert schedule.role_arn.endswith("Role")
    # each function has its own role; the state machine has its own
    roles = {spec.role_arn for spec in topology.functions.values()}
    assert len(roles) == len(topology.functions)
    assert topology.state_machine_role_arn.endswith("/oncall-local-EscalationStateMachineRole")
    assert topology.state_machine_role_arn not in roles


def test_the_functions_that_build_links_see_the_configured_public_base_url(aws):
    """PublicBaseUrl (a custom domain) is the base of every link: the API's integration links, the console's
    pages and the ingest function's how-to-connect answer read PUBLIC_BASE_URL from their own environment."""
    from oncall.platform.settings import get_settings

    for name in ("ApiFunction", "ConsoleFunction", "IngestFunction"):
        with aws.functions.entered(name):
            assert get_settings().public_base_url == BASE_URL, name
    # and the API's integration link is on the configured domain, not the API Gateway one
    integration = create_integration(aws)
    assert aws.api("GET", f"integrations/{integration['id']}").body["link"].startswith(f"{BASE_URL}/integrations/v1/")
