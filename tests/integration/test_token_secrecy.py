"""Secrets: tokens come from the CSPRNG with at least 128 bits, API tokens are stored only as digests and
compared in constant time, and no secret ever reaches a log line.

The log test captures everything the functions write (Powertools Logger JSON on stdout, at DEBUG, plus
every `logging` record at INFO and above from any logger) while exercising token creation, API
authentication with good and bad tokens, ingest with the integration token in the URL (alerts, the GET
instructions, heartbeats, a wrong integration type, an AWS failure), signed action links (valid, tampered),
and an outgoing webhook with credentials, then scans all of it for the secret values.
"""

from __future__ import annotations

import logging
import math
import string
from collections import Counter

import boto3
import pytest

from oncall import wiring
from oncall.access import tokens as auth
from oncall.models import ApiToken, ApiTokenRole
from oncall.platform import ids
from tests.builders import am_payload
from tests.http_receiver import Receiver
from tests.integration.conftest import ADMIN_TOKEN, create_integration, fire, ingest_path, put_user


# ------------------------------------------------------------------------------------------ generation
def test_integration_tokens_have_at_least_128_bits_from_the_csprng(monkeypatch):
    calls = []
    real_choice = ids.secrets.choice

    def recording_choice(alphabet):
        calls.append(len(alphabet))
        return real_choice(alphabet)

    monkeypatch.setattr(ids.secrets, "choice", recording_choice)
    token = ids.integration_token()
    # every character is one draw from the CSPRNG over the alphabet it is made of
    assert len(calls) == len(token) and set(token) <= set(string.ascii_letters + string.digits)
    assert len(token) * math.log2(calls[0]) >= 128


def test_api_tokens_have_256_bits_from_the_csprng(monkeypatch):
    drawn = []
    real = ids.secrets.token_urlsafe

    def recording(nbytes=None):
        drawn.append(nbytes)
        return real(nbytes)

    monkeypatch.setattr(ids.secrets, "token_urlsafe", recording)
    token = ids.api_token()
    assert drawn == [32] and len(token) >= 43


@pytest.mark.parametrize("make", [ids.integration_token, ids.api_token], ids=["integration", "api"])
def test_tokens_are_unique_and_evenly_spread(make):
    tokens = [make() for _ in range(5000)]
    assert len(set(tokens)) == len(tokens)
    counts = Counter("".join(t[:-1] for t in tokens))  # (base64's last character carries fewer bits)
    expected = sum(counts.values()) / len(counts)
    # no character is far more or less frequent than the others (a broken or biased generator would be)
    assert max(abs(n - expected) / expected for n in counts.values()) < 0.1


def test_deployment_keys_are_generated_long_by_the_secure_parameter_resource():
    from oncall.platform import secure_parameters
    from oncall_local.template import load_template

    resources = load_template()["Resources"]
    for name in ("AdminToken", "ActionLinkKey"):
        # 62 symbols, at least 48 of them: more than 280 bits
        assert resources[name]["Properties"]["Length"] >= 48
    assert len(set(secure_parameters.ALPHABET)) == 62
    values = [secure_parameters.random_value(48) for _ in range(200)]
    assert all(len(v) == 48 and set(v) <= set(secure_parameters.ALPHABET) for v in values)
    assert len(set(values)) == len(values)


# ------------------------------------------------------------------------------------------ storage and comparison
def test_api_tokens_are_stored_only_as_digests(aws):
    secret = ids.api_token()
    wiring.store().put_api_token(
        ApiToken(
            id="K1",
            name="ci",
            role=ApiTokenRole.EDITOR,
            digest=ids.token_digest(secret),
            created_at="2026-01-01T00:00:00Z",
        )
    )
    assert aws.api("GET", "integrations", token=secret).status == 200
    items = boto3.client("dynamodb").scan(TableName=aws.topology.table_name)["Items"]
    assert secret not in str(items) and ids.token_digest(secret) in str(items)


def test_the_deployment_token_is_compared_in_constant_time(aws, monkeypatch):
    compared = []
    real = auth.hmac.compare_digest

    def recording(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", recording)
    assert aws.api("GET", "integrations", token="not-the-token").status == 401
    assert aws.api("GET", "integrations", token=ADMIN_TOKEN).status == 200
    # digests of equal length are compared with hmac.compare_digest (never ==); stored tokens are found by
    # their digest, so no secret is compared character by character anywhere
    assert len(compared) == 2 and all(len(a) == len(b) == 64 for a, b in compared)


# ------------------------------------------------------------------------------------------ logs
class _Everything(logging.Handler):
    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        if formatter is not None:
            self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def debug_logs(monkeypatch):
    """Every function logs at DEBUG. The functions' Powertools Loggers share the service's `logging.Logger`,
    made once per process (perhaps by an earlier test), so its level is set there too, and restored."""
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")  # for functions loaded from now on
    service = logging.getLogger("serverless-oncall")
    saved = service.level
    service.setLevel(logging.DEBUG)
    yield
    service.setLevel(saved)


@pytest.fixture
def logs(debug_logs, aws, monkeypatch, caplog):
    """Powertools' JSON lines exactly as the functions write them (its own formatter, extras included), and
    every logging record at INFO and above from any other logger."""
    aws.set_env(ONCALL_ALLOW_PRIVATE_TARGETS="true")  # the webhook receiver is on 127.0.0.1
    service = logging.getLogger("serverless-oncall")
    powertools_formatter = next((h.formatter for h in service.handlers if h.formatter), None)
    handler = _Everything(powertools_formatter)
    service.addHandler(handler)
    caplog.set_level(logging.INFO)
    yield handler.lines
    service.removeHandler(handler)


def test_no_secret_reaches_the_logs(logs, aws, faults, capfd, caplog):
    secrets: dict[str, str] = {}
    # token creation: an API token and integrations (their tokens are in their URLs)
    api_token = ids.api_token()
    secrets["api token"] = api_token
    secrets["deployment admin token"] = ADMIN_TOKEN
    wiring.store().put_api_token(
        ApiToken(id="K1", name="ci", role=ApiTokenRole.ADMIN, digest=ids.token_digest(api_token), created_at="2026")
    )
    integration = aws.api("POST", "integrations", {"type": "alertmanager", "name": "am"}, token=api_token).body
    webhook_integration = create_integration(aws, "webhook")
    secrets["integration token"] = ingest_path(integration).rstrip("/").rsplit("/", 1)[1]
    # authentication: good and bad tokens, in both header forms
    for header in (api_token, f"Bearer {api_token}", api_token[:-1] + "x", f"Bearer {ADMIN_TOKEN}x", ADMIN_TOKEN):
        aws.api("GET", "integrations", token=header)
    # ingest with the token in the URL: alert, instructions, heartbeats, a wrong type, an AWS failure
    path = ingest_path(integration)
    aws.http("POST", path, am_payload())
    aws.http("GET", path)
    aws.http("POST", path + "heartbeat/")
    aws.http("GET", path + "heartbeat/fail")
    aws.http("POST", path.replace("alertmanager", "webhook"), '{"a": 1}')
    faults.add("sqs", "SendMessage", code="InternalError", function="IngestFunction")
    assert aws.http("POST", path, am_payload()).status == 503
    aws.drain()
    # action links: a user with a secret contact, a notification, the links used, tampered with
    secrets["contact"] = "T0SECRET1/B0SECRET2/XXXXSECRETXXXXSECRET"
    user = put_user("alice", contacts={"slack": f"slack://{secrets['contact']}", "outbox": "outbox://alice"})
    group_id = fire(aws, [{"type": "notify_persons", "persons_to_notify": [user]}])
    aws.execution_status(f"{group_id}-p0r0-{user}")
    link = aws.wait_for(aws.outbox_lines)[0]["action_links"]["acknowledge"].removeprefix("https://oncall.test")
    secrets["action link signature"] = link.rsplit(".", 1)[1]
    aws.http("GET", link)
    aws.http("POST", link[:-2] + "xx")
    aws.http("POST", link)
    # an outgoing webhook with credentials, failing then succeeding
    secrets["webhook password"] = "p4ss-" + ids.api_token()[:12]
    secrets["webhook authorization"] = "Bearer " + ids.api_token()
    with Receiver(script=[(500, {}, b"no")]) as receiver:
        created = aws.api(
            "POST",
            "webhooks",
            {
                "name": "tickets",
                "url": receiver.url.replace("http://", f"http://bot:{secrets['webhook password']}@"),
                "trigger_type": "alert group created",
                "authorization_header": secrets["webhook authorization"],
                "integration_filter": [webhook_integration["id"]],
            },
        )
        assert created.status == 201, created.body
        aws.http("POST", ingest_path(webhook_integration), '{"title": "x"}')
        aws.drain()
        aws.drain_events()
    # then nothing anything wrote contains a secret
    captured = capfd.readouterr()
    text = "\n".join([*logs, captured.out, captured.err, *(r.getMessage() for r in caplog.records), caplog.text])
    messages = " ".join(logs)
    assert all(m in messages for m in ("alert accepted", "request failed on AWS", "webhook attempt")), logs[:3]
    leaked = [name for name, value in secrets.items() if value in text]
    assert leaked == [], f"secrets in the logs: {leaked}"
