"""Issue 13 item 6: the loop the attacker used. An "alert group created" webhook pointed at this deployment's
own integration URL, spelled so that the literal-origin check missed it (127.1, localhost,
[::ffff:127.0.0.1]): each new group fired the webhook, which created the next group (~2.5 groups/s).

The stack is served over real HTTP on 127.0.0.1 by a small forwarder (API Gateway's part: an HTTP request →
the function the template routes it to), and PUBLIC_BASE_URL names it, as in the local stack."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from oncall.webhooks.loops import HOP_HEADER, deployment_marker
from tests.builders import am_payload
from tests.integration.conftest import create_integration, ingest_path

ROUNDS = 4  # enough drains for a loop to show (each round would add a group)


class FrontDoor:
    """HTTP on 127.0.0.1 → the stack's functions, in process (what API Gateway does)."""

    def __init__(self, aws) -> None:
        outer = aws

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return None

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                answer = outer.http("POST", self.path, body, headers=headers)
                data = json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FrontDoor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def served(aws):
    with FrontDoor(aws) as door:
        # the stack deployed with this front door as its public URL, in the local stack's posture
        aws.set_env(PUBLIC_BASE_URL=f"http://127.0.0.1:{door.port}", ONCALL_ALLOW_PRIVATE_TARGETS="true")
        yield aws, door.port


def _groups(aws, integration_id: str) -> int:
    return aws.api("GET", "alert_groups", query=f"integration_id={integration_id}").body["count"]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1", "localhost", "[::ffff:127.0.0.1]", "2130706433"])
def test_a_webhook_pointed_at_our_own_ingest_does_not_loop(served, host):
    aws, port = served
    # given an integration and an "alert group created" webhook that posts to its own ingest URL
    integration = create_integration(aws)
    url = f"http://{host}:{port}{ingest_path(integration)}"
    hook = aws.api("POST", "webhooks", {"name": "loop", "url": url, "trigger_type": "alert group created"})
    assert hook.status == 201, hook.body
    # when one alert arrives and the pipeline runs for a few rounds
    assert aws.http("POST", ingest_path(integration), json.dumps(am_payload(alertname="Seed"))).status == 200
    for _ in range(ROUNDS):
        aws.drain()
        aws.drain_events()
    # then there is still one group, and the webhook's attempt says why it was not sent
    assert _groups(aws, integration["id"]) == 1
    [logged] = aws.api("GET", f"webhooks/{hook.body['id']}/responses").body["results"]
    assert logged["outcome"] == "failed" and "this OnCall deployment" in logged["error"]


def test_an_alert_carrying_our_own_hop_header_is_refused_whatever_the_address(served):
    aws, _ = served
    integration = create_integration(aws)
    marker = deployment_marker(aws.topology.table_name)
    # when a request arrives that one of our webhooks sent (by a route the address check cannot see)
    looped = aws.http("POST", ingest_path(integration), json.dumps(am_payload()), headers={HOP_HEADER.lower(): marker})
    # then it is refused with a 400 that says why, and nothing is stored
    assert looped.status == 400 and "loop" in looped.body["detail"]
    aws.drain()
    assert _groups(aws, integration["id"]) == 0
    # and another deployment's marker (a chain of two stacks) is accepted
    other = aws.http(
        "POST", ingest_path(integration), json.dumps(am_payload()), headers={HOP_HEADER.lower(): deployment_marker("x")}
    )
    assert other.status == 200
