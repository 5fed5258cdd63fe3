"""`oncall users|teams|schedules` against the running local stack (typer's test runner)."""

import json
import uuid

import pytest
from typer.testing import CliRunner

from oncall_cli.main import app
from tests.e2e.conftest import ADMIN_TOKEN

pytestmark = pytest.mark.e2e
runner = CliRunner()


@pytest.fixture
def cli_env(local_stack, monkeypatch):
    monkeypatch.setenv("ONCALL_URL", local_stack.base_url)
    monkeypatch.setenv("ONCALL_TOKEN", ADMIN_TOKEN)
    monkeypatch.setenv("COLUMNS", "200")  # rich tables: no wrapping of ids in the assertions
    return local_stack


def _ok(args: list[str]):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result


def _json(args: list[str]):
    return json.loads(_ok([*args, "--json"]).output)


def test_people_and_a_rotation_end_to_end(cli_env):
    suffix = uuid.uuid4().hex[:6]
    alice, bob = f"alice-{suffix}", f"bob-{suffix}"
    # given a team and two users, one with a secret in a contact URL
    team = _json(["teams", "create", "--name", f"SRE {suffix}"])
    secret = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7F"
    created = _json(["users", "create", "--username", alice, "--contact", f"slack={secret}", "--team", team["name"]])
    assert created["teams"] == [team["id"]] and created["contacts"] == {"slack": "slack://****/****"}
    _ok(["users", "create", "--username", bob, "--email", f"{bob}@example.com", "--timezone", "America/New_York"])
    assert {alice, bob} <= {u["username"] for u in _json(["users", "list"])}
    assert team["id"] in {t["id"] for t in _json(["teams", "list"])}
    shown = _ok(["users", "get", alice])
    assert alice in shown.output and "TIiajk" not in shown.output
    # when a daily rotation hands off at 09:00 Paris time
    name = f"Primary {suffix}"
    schedule = _json(
        [
            "schedules",
            "create",
            "--name",
            name,
            "--time-zone",
            "Europe/Paris",
            "--rotation",
            f"{alice},{bob}",
            "--frequency",
            "daily",
            "--start",
            "2026-03-23T09:00",
        ]
    )
    assert schedule["id"].startswith("S") and len(schedule["on_call_now"]) == 1
    # then `schedules oncall` names the right person on either side of a handoff, across the DST change
    before = _json(["schedules", "oncall", name, "--at", "2026-03-30T06:59:00Z"])
    after = _json(["schedules", "oncall", schedule["id"], "--at", "2026-03-30T07:00:00Z"])
    assert [u["username"] for u in before["users"]] == [alice]  # shift 6 (29 March 09:00 CET, the 7th day)
    assert [u["username"] for u in after["users"]] == [bob]  # shift 7 starts 09:00 CEST = 07:00 UTC
    table = _ok(["schedules", "oncall", name, "--at", "2026-03-30T07:00:00Z"])
    assert bob in table.output and "On call in" in table.output
    assert name in _ok(["schedules", "list"]).output
    assert _json(["schedules", "get", name])["layers"][0]["start"] == "2026-03-23T09:00:00"
    # and a user in the rotation cannot be deleted (API error: exit code 1, the schedule named)
    refused = runner.invoke(app, ["users", "delete", alice, "--yes"])
    assert refused.exit_code == 1 and schedule["id"] in refused.output


def test_people_commands_have_trustworthy_exit_codes(cli_env, monkeypatch):
    suffix = uuid.uuid4().hex[:6]
    assert runner.invoke(app, ["users", "create", "--username", f"u-{suffix}", "--contact", "no-equals"]).exit_code == 2
    assert runner.invoke(app, ["users", "create", "--username", "bad name"]).exit_code == 1
    assert runner.invoke(app, ["users", "get", f"nobody-{suffix}"]).exit_code == 3  # not found
    assert runner.invoke(app, ["schedules", "oncall", f"nothing-{suffix}"]).exit_code == 3
    assert runner.invoke(app, ["schedules", "create", "--name", f"s-{suffix}", "--rotation", "x"]).exit_code == 2
    created = _json(["users", "create", "--username", f"gone-{suffix}"])
    _ok(["users", "delete", created["id"], "--yes"])
    monkeypatch.delenv("ONCALL_TOKEN")
    assert runner.invoke(app, ["users", "list"]).exit_code == 2
