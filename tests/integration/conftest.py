"""Integration tier: the real handlers, in process, on moto (`mock_aws`) with real boto3 calls and IAM
enforced. Resources, roles and each function's environment come from template.yaml (translated as
`sam deploy` does) through the same topology code the local stack uses."""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from oncall import wiring
from oncall_local import moto_patches
from oncall_local.front_door import build_event, match_route
from oncall_local.functions import FunctionHost
from oncall_local.functions import uninstall as uninstall_host
from oncall_local.topology import Topology, create_topology
from oncall_local.workers import QueuePoller

ADMIN_TOKEN = "admin-test-token"
BASE_URL = "https://oncall.test"


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class AwsEnv:
    topology: Topology
    functions: FunctionHost
    outbox: Path

    def http(
        self,
        method: str,
        path: str,
        body: bytes | str | dict | None = None,
        *,
        headers: dict[str, str] | None = None,
        query: str = "",
    ) -> Response:
        """A request as API Gateway would hand it to the function the template routes it to."""
        if isinstance(body, dict):
            body = json.dumps(body)
        raw = body.encode() if isinstance(body, str) else (body or b"")
        request_headers = {"host": "oncall.test", "x-forwarded-proto": "https", **(headers or {})}
        if isinstance(body, str) and "content-type" not in request_headers:
            request_headers["content-type"] = "application/json"
        matched = match_route(self.topology.http_routes, method, path)
        assert matched, f"no route for {method} {path}"
        route, params = matched
        event = build_event(route, method, path, query, request_headers, raw, params, "127.0.0.1")
        result = self.functions.invoke(route.function, event)
        text = result.get("body") or ""
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Response(result["statusCode"], parsed, result.get("headers") or {})

    def api(
        self, method: str, path: str, body: dict | None = None, token: str = ADMIN_TOKEN, query: str = ""
    ) -> Response:
        headers = {"authorization": token} if token else {}
        return self.http(method, f"/api/v1/{path.strip('/')}/", body, headers=headers, query=query)

    def set_env(self, **variables: str) -> None:
        """Set harness overrides in every function's environment (their settings are read afresh)."""
        self.functions.set_env(**variables)

    def drain(self) -> int:
        """Deliver everything queued to the route function, like the event source mapping would."""
        poller = QueuePoller(self.topology.queue_mappings[0], self.functions)
        delivered = 0
        while (count := poller.poll_once()) > 0:
            delivered += count
        return delivered

    def drain_events(self, *, wait_seconds: int = 0) -> int:
        """Deliver everything on the events queue to the webhooks function (delayed retries included only
        once they are due)."""
        [mapping] = [m for m in self.topology.queue_mappings if m.function == "WebhooksFunction"]
        poller = QueuePoller(mapping, self.functions)
        delivered = 0
        while (count := poller.poll_once(wait_seconds=wait_seconds)) > 0:
            delivered += count
        return delivered

    def execution_arn(self, name: str) -> str:
        return f"{self.topology.state_machine_arn.replace(':stateMachine:', ':execution:')}:{name}"

    def transitions(self, name: str) -> int:
        """State transitions of a finished execution (what Step Functions bills): states entered."""
        history = boto3.client("stepfunctions").get_execution_history(
            executionArn=self.execution_arn(name), maxResults=1000
        )
        return sum(1 for event in history["events"] if event["type"].endswith("StateEntered"))

    def executions(self) -> list[str]:
        listed = boto3.client("stepfunctions").list_executions(stateMachineArn=self.topology.state_machine_arn)
        return [e["name"] for e in listed["executions"]]

    def wait_for(self, predicate, timeout: float = 10.0, message: str = "timed out"):
        deadline = time.monotonic() + timeout
        while not (value := predicate()):
            assert time.monotonic() < deadline, message
            time.sleep(0.05)
        return value

    def execution_status(self, name: str, timeout: float = 10) -> str:
        sfn = boto3.client("stepfunctions")
        arn = self.execution_arn(name)
        deadline = time.monotonic() + timeout
        while True:
            try:
                status = sfn.describe_execution(executionArn=arn)["status"]
            except sfn.exceptions.ExecutionDoesNotExist:
                status = "NOT STARTED"  # started by another execution that has not got there yet
            if status not in ("RUNNING", "NOT STARTED") or time.monotonic() > deadline:
                return status
            time.sleep(0.05)

    def outbox_lines(self) -> list[dict[str, Any]]:
        if not self.outbox.exists():
            return []
        return [json.loads(line) for line in self.outbox.read_text().splitlines()]


@pytest.fixture
def aws(tmp_path) -> AwsEnv:
    yield from aws_stack(tmp_path)


def aws_stack(tmp_path: Path, **topology_options: Any):
    """The template's stack on moto, its functions each in a container of its own (own environment, own
    role's credentials), and IAM enforced: a permission missing from template.yaml fails here as on AWS.
    The test's own boto3 calls use the harness's administrator identity."""
    with mock_aws(config=moto_patches.MOTO_CONFIG):
        topology = create_topology(admin_token=ADMIN_TOKEN, public_base_url=BASE_URL, **topology_options)
        harness = topology.harness_credentials
        # The test itself (setup, assertions through wiring.store() or boto3) is the harness: administrator
        # credentials and the stack's outputs. The functions never see this environment.
        saved = dict(os.environ)
        os.environ.update(
            {
                **topology.harness_environment(),
                "AWS_ACCESS_KEY_ID": harness.access_key,
                "AWS_SECRET_ACCESS_KEY": harness.secret_key,
            }
        )
        outbox = tmp_path / "outbox.jsonl"
        wiring.reset()
        functions = FunctionHost(
            topology.functions,
            overrides={"ONCALL_OUTBOX_PATH": str(outbox), "ONCALL_CONFIG_CACHE_SECONDS": "0"},
            harness=harness,
        )
        moto_patches.install(
            functions.invoke,
            time_scale=0.001,
            state_machine_credentials=topology.state_machine_credentials.client_kwargs(),
        )
        moto_patches.enforce_iam()
        try:
            yield AwsEnv(topology, functions, outbox)
        finally:
            moto_patches.uninstall()
            uninstall_host()
            wiring.reset()
            os.environ.clear()
            os.environ.update(saved)


def create_integration(aws: AwsEnv, kind: str = "alertmanager", chain_id: str | None = None, **fields) -> dict:
    body = {"type": kind, "name": fields.pop("name", f"{kind}-{uuid.uuid4().hex[:6]}"), **fields}
    if chain_id:
        body["default_route"] = {"escalation_chain_id": chain_id}
    response = aws.api("POST", "integrations", body)
    assert response.status == 201, response.body
    return response.body


def create_chain(aws: AwsEnv, steps: list[dict], name: str | None = None) -> dict:
    chain = aws.api("POST", "escalation_chains", {"name": name or f"chain-{uuid.uuid4().hex[:6]}"}).body
    for step in steps:
        response = aws.api("POST", "escalation_policies", {"escalation_chain_id": chain["id"], **step})
        assert response.status == 201, response.body
    return chain


def fire(aws: AwsEnv, steps: list[dict], payload: dict | None = None) -> str:
    """A new chain and integration, one alert through ingest and route; returns the new group's id."""
    from tests.builders import am_payload

    chain = create_chain(aws, steps)
    integration = create_integration(aws, chain_id=chain["id"])
    aws.http("POST", ingest_path(integration), payload or am_payload())
    aws.drain()
    [group] = aws.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body["results"]
    return group["id"]


def put_user(username: str, **fields) -> str:
    """A person in the store (the people API is another capability): contacts default to one outbox."""
    from oncall import wiring
    from oncall.models import NotificationRuleStep, User
    from oncall.platform import ids

    rules = [NotificationRuleStep(**r) for r in fields.pop("rules", [])]
    user = User(
        id=ids.public_id(ids.PREFIX_USER),
        username=username,
        contacts=fields.pop("contacts", {"outbox": f"outbox://{username}"}),
        default_rules=rules,
        created_at="2026-01-01T00:00:00Z",
        **fields,
    )
    wiring.store().put_user(user)
    return user.id


def timeline_types(aws: AwsEnv, group_id: str) -> list[str]:
    return [e["type"] for e in aws.api("GET", f"alert_groups/{group_id}/timeline").body["results"]]


def ingest_path(integration: dict) -> str:
    return "/" + integration["link"].split("/", 3)[3]


PAYLOADS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager"


@pytest.fixture(scope="session")
def alertmanager_captures() -> dict[str, str]:
    """Real request bodies captured from Alertmanager 0.25 (copied from ../shared/reference/payloads)."""
    return {path.stem: path.read_text() for path in sorted(PAYLOADS_DIR.glob("*.json"))}


@pytest.fixture
def faults(aws, monkeypatch):
    """Injected AWS failures (tests/integration/faults.py), removed at the end of the test."""
    from tests.integration.faults import Faults

    injector = Faults().install(monkeypatch)
    Faults.track(aws, monkeypatch)
    return injector


def pytest_terminal_summary(terminalreporter) -> None:
    """How many cases the fuzz tests tried (tests/integration/fuzzing.py)."""
    from tests.integration.fuzzing import summary

    line = summary()
    if line:
        terminalreporter.write_line(line)


def pytest_sessionfinish(session) -> None:
    """Under pytest-xdist each worker counts its own fuzz cases: hand them to the controller."""
    if hasattr(session.config, "workeroutput"):
        from tests.integration.fuzzing import CASES, STATUSES

        session.config.workeroutput["fuzz_counts"] = {"cases": dict(CASES), "statuses": dict(STATUSES)}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """pytest-xdist, on the controller: add up the workers' fuzz counts for the summary line."""
    from tests.integration.fuzzing import CASES, STATUSES

    counts = getattr(node, "workeroutput", {}).get("fuzz_counts", {})
    CASES.update(counts.get("cases", {}))
    STATUSES.update(counts.get("statuses", {}))
