"""The local stack (`make run`) is the deployed shape: built from the template it is given, each function
with only its own role's permissions (IAM enforced) and the template's AllowPrivateTargets. A policy missing
from the template fails locally as on AWS, and the deployed network posture can be tried locally."""

import shutil
import time

import pytest
import requests

from oncall_local.process import start_local_stack
from oncall_local.template import REPO_ROOT, TEMPLATE_PATH
from tests.e2e.conftest import ADMIN_TOKEN, wait_until
from tests.http_receiver import Receiver

pytestmark = pytest.mark.e2e


def _template_without_ingest_policies(tmp_path):
    lines = TEMPLATE_PATH.read_text().splitlines(keepends=True)
    start = lines.index("  IngestFunction:\n")
    at = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == "Policies:")
    depth = len(lines[at]) - len(lines[at].lstrip())
    end = at + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > depth):
        end += 1
    copy = tmp_path / "template" / "template.yaml"
    copy.parent.mkdir()
    copy.write_text("".join(lines[:at] + lines[end:]))
    shutil.copytree(REPO_ROOT / "statemachines", copy.parent / "statemachines")
    return copy


def test_the_local_stack_honours_the_template_and_its_deployed_posture(tmp_path):
    # given a stack built from a template whose IngestFunction lost its policies, private targets refused
    stack = start_local_stack(
        tmp_path / "state",
        admin_token=ADMIN_TOKEN,
        extra_env={
            "ONCALL_TEMPLATE": str(_template_without_ingest_policies(tmp_path)),
            "ONCALL_ALLOW_PRIVATE_TARGETS": "false",
        },
    )
    try:
        # when an alert is posted to the demo integration (created through the API, whose policies are intact)
        response = requests.post(stack.demo_ingest_url, json={"title": "Disk full"}, timeout=10)
        # then the sender gets a 5xx (it retries) and the console shows AWS's refusal
        assert response.status_code >= 500, response.text
        assert wait_until(lambda: "AccessDenied" in "".join(stack.output), timeout=5), "".join(stack.output[-20:])
        # and a webhook to this machine is refused, as the deployed stack refuses it
        with Receiver() as receiver:
            created = stack.api("POST", "webhooks", json={"name": f"e2e-{time.time_ns()}", "url": receiver.url})
            assert created.status_code == 201, created.text
            sent = stack.api("POST", f"webhooks/{created.json()['id']}/test")
            assert receiver.requests == []
        assert sent.status_code == 200, sent.text
        assert "private" in sent.text.lower() or "refused" in sent.text.lower(), sent.text
    finally:
        stack.stop()
