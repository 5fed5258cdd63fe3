"""The `oncall` CLI against the running local stack (typer's test runner)."""

import json

import pytest
from typer.testing import CliRunner

from oncall_cli.main import app
from tests.e2e.conftest import ADMIN_TOKEN, wait_until

pytestmark = pytest.mark.e2e
runner = CliRunner()


@pytest.fixture
def cli_env(local_stack, monkeypatch):
    monkeypatch.setenv("ONCALL_URL", local_stack.base_url)
    monkeypatch.setenv("ONCALL_TOKEN", ADMIN_TOKEN)
    return local_stack


def test_create_list_and_demo(cli_env):
    created = runner.invoke(app, ["integrations", "create", "--type", "webhook", "--name", "CLI hook", "--json"])
    assert created.exit_code == 0, created.output
    integration = json.loads(created.output)
    assert integration["link"].endswith("/")
    listed = runner.invoke(app, ["integrations", "list", "--json"])
    assert integration["id"] in {i["id"] for i in json.loads(listed.output)}
    demo = runner.invoke(app, ["demo", "CLI hook"])
    assert demo.exit_code == 0 and "Demo alert" in demo.output
    assert wait_until(
        lambda: cli_env.api("GET", "alert_groups", params={"integration_id": integration["id"]}).json()["count"] == 1,
        timeout=3,
    )


def test_errors_have_trustworthy_exit_codes(cli_env, monkeypatch):
    assert runner.invoke(app, ["integrations", "create", "--type", "bogus"]).exit_code == 1
    assert runner.invoke(app, ["demo", "no such integration"]).exit_code == 3  # not found
    monkeypatch.delenv("ONCALL_TOKEN")
    assert runner.invoke(app, ["integrations", "list"]).exit_code == 2
