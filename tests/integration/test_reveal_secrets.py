"""Issue 16 item 3 (moving a deployment between AWS accounts) against issue 13's masking: secrets are masked on
read for every role, and only an admin token asking `reveal_secrets=true` reads them as stored — audited by
token id, never logging a value. Editors and viewers asking get a 403 naming the rule."""

from __future__ import annotations

import json

import pytest

from oncall import wiring
from oncall.models import ApiToken, ApiTokenRole
from oncall.platform import ids
from tests.integration.test_token_secrecy import debug_logs, logs  # noqa: F401 (fixtures)

CONTACT = "slack://T0AB12CD3/B0CD34EF5/contactSECRETtoken1234"
CHANNEL = "mailto://ops:Chann3lPassw0rdX@mail.example.com"
HOOK_URL = "https://hooks.example.com/services/hookPATHsecret77?token=QueryTok3nSecret"
HEADER = "hvs.VaultHeaderSecret4242"
PASSWORD = "pa55-W0rd-reveal-9f3a"
AUTHORIZATION = "Bearer tok-reveal-7c1d9e2b"
ICAL = "https://calendar.example.com/private-IcalSecretPath99/basic.ics"
SECRETS = [
    "contactSECRETtoken1234",
    "Chann3lPassw0rdX",
    "hookPATHsecret77",
    "QueryTok3nSecret",
    HEADER,
    PASSWORD,
    AUTHORIZATION,
    "IcalSecretPath99",
]


def _token(role: str) -> tuple[str, str]:
    raw, token_id = ids.api_token(), ids.public_id("K")
    wiring.store().put_api_token(
        ApiToken(
            id=token_id,
            name=role,
            role=ApiTokenRole(role),
            digest=ids.token_digest(raw),
            created_at="2026-01-01T00:00:00Z",
        )
    )
    return raw, token_id


def _setup(aws) -> None:
    user = aws.api("POST", "users", {"username": "alice", "contacts": {"slack": CONTACT}})
    assert user.status == 201, user.body
    chain = aws.api("POST", "escalation_chains", {"name": "c"}).body
    step = {"escalation_chain_id": chain["id"], "type": "notify_channel", "channel": CHANNEL}
    assert aws.api("POST", "escalation_policies", step).status == 201
    hook = {
        "name": "tickets",
        "url": HOOK_URL,
        "headers": json.dumps({"X-Vault-Token": HEADER}),
        "password": PASSWORD,
        "username": "bot",
        "authorization_header": AUTHORIZATION,
    }
    created = aws.api("POST", "webhooks", hook)
    assert created.status == 201, created.body
    schedule = aws.api("POST", "schedules", {"name": "feed", "type": "ical", "ical_url_primary": ICAL})
    assert schedule.status == 201, schedule.body


def _read_everything(aws, token: str, query: str = "") -> list:
    responses = [aws.api("GET", path, token=token, query=query) for path in READS]
    return responses


READS = ("users", "escalation_policies", "webhooks", "schedules")


@pytest.fixture
def deployment(aws):
    _setup(aws)
    return aws


def test_an_admin_reads_secrets_in_clear_only_when_asking(deployment):
    admin, _ = _token("admin")
    masked = _read_everything(deployment, admin)
    assert all(r.status == 200 for r in masked)
    assert [s for s in SECRETS if s in json.dumps([r.body for r in masked])] == []

    revealed = _read_everything(deployment, admin, "reveal_secrets=true")
    assert all(r.status == 200 for r in revealed), [r.body for r in revealed]
    users, steps, hooks, schedules = (r.body["results"] for r in revealed)
    assert users[0]["contacts"] == {"slack": CONTACT}
    assert steps[0]["channel"] == CHANNEL
    assert (hooks[0]["url"], json.loads(hooks[0]["headers"])) == (HOOK_URL, {"X-Vault-Token": HEADER})
    assert (hooks[0]["password"], hooks[0]["authorization_header"]) == (PASSWORD, AUTHORIZATION)
    assert schedules[0]["ical_url_primary"] == ICAL
    # one object too, and the flag is never the default: the next read is masked again
    one = deployment.api("GET", f"webhooks/{hooks[0]['id']}", token=admin, query="reveal_secrets=true").body
    assert one["password"] == PASSWORD
    assert deployment.api("GET", f"webhooks/{hooks[0]['id']}", token=admin).body["password"] != PASSWORD
    off = _read_everything(deployment, admin, "reveal_secrets=false")
    assert [s for s in SECRETS if s in json.dumps([r.body for r in off])] == []


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_other_roles_asking_for_secrets_get_403(deployment, role):
    token, _ = _token(role)
    for response in _read_everything(deployment, token, "reveal_secrets=true"):
        assert response.status == 403, response.body
        assert "admin token" in response.body["detail"]
        assert [s for s in SECRETS if s in json.dumps(response.body)] == []


def test_the_flag_is_for_reads_only_and_must_be_a_boolean(deployment):
    admin, _ = _token("admin")
    assert deployment.api("GET", "users", token=admin, query="reveal_secrets=please").status == 400
    created = deployment.api("POST", "teams", {"name": "t"}, token=admin, query="reveal_secrets=true")
    assert created.status == 400 and "reads" in created.body["detail"]


def test_revealing_is_audited_by_token_id_and_no_secret_reaches_the_logs(logs, aws, capfd, caplog):  # noqa: F811
    _setup(aws)
    admin, token_id = _token("admin")
    assert all(r.status == 200 for r in _read_everything(aws, admin, "reveal_secrets=true"))
    captured = capfd.readouterr()
    text = "\n".join([*logs, captured.out, captured.err, *(r.getMessage() for r in caplog.records), caplog.text])
    audits = [json.loads(line) for line in logs if "secrets revealed" in line]
    assert len(audits) == len(READS)
    assert {(a["audit"], a["token_id"]) for a in audits} == {("reveal_secrets", token_id)}
    assert {a["path"].strip("/").rsplit("/", 1)[1] for a in audits} == set(READS)
    assert [s for s in [*SECRETS, admin] if s in text] == []
