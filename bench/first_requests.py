"""The first request of each function, recorded on moto so that `bench/cold_start.py` can replay it.

    python bench/first_requests.py OUT.json     (PYTHONPATH: the checkout's layers/common, root and local/)

One process, moto in process (`mock_aws`), the template's stack created by the local runtime's topology code,
the real handlers in their containers (own environment, own role) and IAM enforced. It sets up a small
deployment through the API (a chain whose first step notifies a channel, an integration using it, a viewer
token), then records one representative first request per function, each after `wiring.reset()` (so every
configuration read misses, as in a fresh container):

- ingest: POST an Alertmanager payload (two firing alerts) to the integration's URL;
- route: the SQS batch that ingest's message makes (one alert opening a group, escalation started);
- escalate: the task event of that group's execution (step 0: notify a channel);
- heartbeat_check: one sweep of a deployment with a heartbeat that is enabled and not due;
- api: GET /api/v1/integrations/ with the viewer token.

For each, the AWS calls it made, in order: the service and operation, the call's parameters (pickled, so
the floor can repeat the same calls) and AWS's raw answer (status, headers, body). Also the function's
environment as the template sets it, and the event. The timed processes answer the same calls with the same
bytes (botocore `before-send`), so neither moto nor the network is in the measurement.

Channels use the local outbox (`outbox://`, a JSONL file), so a delivery library's import (Apprise) is not
in escalate's first request: which library a step needs depends on the channel.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import pickle
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

PAYLOAD = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "alertmanager" / "03_group_two_firing.json"
ADMIN_TOKEN = "bench-admin"
FUNCTIONS = {
    "ingest": "IngestFunction",
    "route": "RouteFunction",
    "escalate": "EscalateFunction",
    "heartbeat_check": "HeartbeatCheckFunction",
    "api": "ApiFunction",
}


class Recorder:
    """Every AWS call made while `recording` is set: parameters at `before-parameter-build`, AWS's raw
    answer at `response-received` (botocore event hooks on the default session, which every client uses)."""

    def __init__(self, session: Any) -> None:
        self.calls: list[dict[str, Any]] | None = None
        self._pending: dict[str, Any] | None = None
        self._thread: int | None = None
        session.events.register("before-parameter-build", self._parameters)
        session.events.register("response-received", self._response)

    def start(self) -> None:
        self.calls, self._thread = [], threading.get_ident()

    def stop(self) -> list[dict[str, Any]]:
        calls, self.calls = self.calls or [], None
        return calls

    def _mine(self) -> bool:
        return self.calls is not None and threading.get_ident() == self._thread

    def _parameters(self, params: dict, model: Any, **_: Any) -> None:
        if self._mine():
            self._pending = {
                "service": model.service_model.service_name,
                "service_id": model.service_model.service_id.hyphenize(),
                "operation": model.name,
                "params": base64.b64encode(pickle.dumps(copy.deepcopy(params))).decode(),
            }

    def _response(self, response_dict: dict | None, **_: Any) -> None:
        if not self._mine() or self._pending is None or response_dict is None:
            return
        body = response_dict.get("body") or b""
        self.calls.append(
            {
                **self._pending,
                "status": response_dict["status_code"],
                "headers": {k: v for k, v in response_dict["headers"].items() if k.lower() != "date"},
                "body": base64.b64encode(body if isinstance(body, bytes) else body.encode()).decode(),
            }
        )
        self._pending = None


def record(outbox: Path) -> dict[str, Any]:  # noqa: PLR0915 - one scenario, top to bottom
    import boto3
    from moto import mock_aws

    from oncall import wiring
    from oncall_local import moto_patches
    from oncall_local.front_door import build_event, match_route
    from oncall_local.functions import FunctionHost
    from oncall_local.topology import create_topology
    from oncall_local.workers import sqs_event

    with mock_aws(config=moto_patches.MOTO_CONFIG):
        topology = create_topology(admin_token=ADMIN_TOKEN, public_base_url="https://bench.example")
        harness = topology.harness_credentials
        os.environ.update(
            {
                **topology.harness_environment(),
                "AWS_ACCESS_KEY_ID": harness.access_key,
                "AWS_SECRET_ACCESS_KEY": harness.secret_key,
            }
        )
        wiring.reset()
        overrides = {"ONCALL_OUTBOX_PATH": str(outbox)}
        functions = FunctionHost(topology.functions, overrides, harness=harness)
        tasks: list[dict] = []

        def step_functions_task(name: str, event: dict) -> dict:
            # The state machine's task is not run here: its first event is recorded below, with a cold cache.
            tasks.append(event)
            return {**event["state"], "done": True}

        moto_patches.install(
            step_functions_task,
            time_scale=0.001,
            state_machine_credentials=topology.state_machine_credentials.client_kwargs(),
        )
        moto_patches.enforce_iam()
        recorder = Recorder(boto3._get_default_session())  # noqa: SLF001 - the session every client uses

        def http(method: str, path: str, body: str = "", headers: dict | None = None, query: str = "") -> dict:
            route, params = match_route(topology.http_routes, method, path)
            request_headers = {"host": "bench.example", "x-forwarded-proto": "https", **(headers or {})}
            if body:
                request_headers.setdefault("content-type", "application/json")
            return build_event(route, method, path, query, request_headers, body.encode(), params, "127.0.0.1")

        def api(method: str, path: str, body: dict | None = None) -> dict:
            event = http(method, f"/api/v1/{path}/", json.dumps(body) if body else "", {"authorization": ADMIN_TOKEN})
            answer = functions.invoke("ApiFunction", event)
            assert answer["statusCode"] < 300, answer
            return json.loads(answer["body"]) if answer.get("body") else {}

        recorded: dict[str, Any] = {}

        def first_request(function: str, event: dict) -> Any:
            wiring.reset()  # a fresh container: nothing cached, clients created afresh
            recorder.start()
            try:
                answer = functions.invoke(FUNCTIONS[function], event)
            finally:
                calls = recorder.stop()
            environment = functions.environment(FUNCTIONS[function])
            recorded[function] = {"environment": environment, "event": event, "calls": calls}
            return answer

        chain = api("POST", "escalation_chains", {"name": "bench"})
        api(
            "POST",
            "escalation_policies",
            {"escalation_chain_id": chain["id"], "type": "notify_channel", "channel": "outbox://bench"},
        )
        integration = api(
            "POST",
            "integrations",
            {"type": "alertmanager", "name": "bench", "default_route": {"escalation_chain_id": chain["id"]}},
        )
        api("PUT", f"integrations/{integration['id']}/heartbeat", {"period": 3600})
        viewer = api("POST", "tokens", {"name": "bench-viewer", "role": "viewer"})["token"]

        ingest_path = "/" + integration["link"].split("/", 3)[3]
        answer = first_request("ingest", http("POST", ingest_path, PAYLOAD.read_text()))
        assert answer["statusCode"] == 200, answer

        sqs = boto3.client("sqs")
        messages = sqs.receive_message(
            QueueUrl=topology.ingest_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        )["Messages"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=topology.ingest_queue_url, AttributeNames=["QueueArn"])
        answer = first_request("route", sqs_event(messages, queue_arn["Attributes"]["QueueArn"]))
        assert answer == {"batchItemFailures": []}, answer

        deadline = time.monotonic() + 30
        while not tasks:
            assert time.monotonic() < deadline, "the escalation never reached its task"
            time.sleep(0.01)
        first_request("escalate", tasks[0])

        first_request("heartbeat_check", {"source": "aws.scheduler", "detail-type": "Scheduled Event"})

        answer = first_request("api", http("GET", "/api/v1/integrations/", headers={"authorization": viewer}))
        assert answer["statusCode"] == 200, answer
        moto_patches.uninstall()
        return recorded


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        result = record(Path(scratch) / "outbox.jsonl")
    Path(sys.argv[1]).write_text(json.dumps(result))
