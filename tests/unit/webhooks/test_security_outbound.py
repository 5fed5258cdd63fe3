"""Issue 13 items 6 and 7 at the unit tier: outgoing calls that come back to us, and redirects that carry
credentials elsewhere. The attacks are those of the review, against the guarded client with scripted answers
(no sockets) or the real one against loopback listeners."""

from __future__ import annotations

import pytest

from oncall.platform.netguard import BlockedTargetError, GuardedHttpClient
from oncall.webhooks.delivery import prepare_request
from oncall.webhooks.loops import HOP_HEADER, LoopDetectedError, deployment_marker, refuse_own_hop
from tests.http_receiver import Receiver
from tests.unit.platform.test_netguard import ScriptedClient, resolver_of

RESOLVER = resolver_of(
    {
        "a.example.com": ["93.184.216.34"],
        "b.example.com": ["93.184.216.35"],
        "localhost": ["127.0.0.1", "::1"],
        "oncall.example.com": ["93.184.216.40"],
        "alias-of-us.example.com": ["93.184.216.40"],
    }
)
CONFIGURED = {
    "Authorization": "Bearer s3cret",
    "X-Api-Key": "k-123456",
    "X-Custom-Token": "t-abcdef",
    "Cookie": "session=1",
    "Accept": "application/json",
    "User-Agent": "ua",
    "Idempotency-Key": "key",
}
HARMLESS = {"Accept": "application/json", "User-Agent": "ua", "Idempotency-Key": "key"}


# ------------------------------------------------------------------------------------------ item 7: redirects
@pytest.mark.parametrize(
    ("start", "location"),
    [
        ("https://a.example.com/x", "https://b.example.com/next"),  # another host
        ("https://a.example.com/x", "http://a.example.com/next"),  # a scheme downgrade on the same host
        ("https://a.example.com/x", "https://a.example.com:8443/next"),  # another port
    ],
    ids=["host", "https-to-http", "port"],
)
def test_a_cross_origin_redirect_carries_no_configured_header(start, location):
    client = ScriptedClient([(307, {"location": location}, b""), (200, {}, b"ok")], resolver=RESOLVER)
    client.request("GET", start, headers=dict(CONFIGURED), body=None, timeout=1)
    _, _, _, sent = client.connected[1]
    assert sent == HARMLESS


def test_a_same_origin_redirect_keeps_the_headers():
    client = ScriptedClient([(307, {"location": "/moved"}, b""), (200, {}, b"ok")], resolver=RESOLVER)
    client.request("GET", "https://a.example.com/x", headers=dict(CONFIGURED), body=None, timeout=1)
    assert client.connected[1][3] == CONFIGURED


def test_a_real_redirect_to_another_port_does_not_forward_credentials():
    with Receiver() as other:
        with Receiver(script=[(302, {"Location": f"{other.url}/landing"}, b"")]) as first:
            client = GuardedHttpClient(allow_private=True)
            result = client.request("GET", f"{first.url}/x", headers=dict(CONFIGURED), body=None, timeout=5)
            assert result.status == 200
        [landed] = other.wait_for(1)
        assert not {"authorization", "x-api-key", "x-custom-token", "cookie"} & {k.lower() for k in landed.headers}


# ------------------------------------------------------------------------------------------ item 6: loops
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/integrations/v1/alertmanager/T/",
        "http://127.1:{port}/integrations/v1/alertmanager/T/",
        "http://localhost:{port}/integrations/v1/alertmanager/T/",
        "http://[::ffff:127.0.0.1]:{port}/integrations/v1/alertmanager/T/",
        "http://2130706433:{port}/integrations/v1/alertmanager/T/",
        "http://[::1]:{port}/integrations/v1/alertmanager/T/",
        "http://127.0.0.2:{port}/integrations/v1/alertmanager/T/",
    ],
    ids=["literal", "127.1", "localhost", "v4-mapped", "decimal", "ipv6-loopback", "other-loopback"],
)
def test_the_local_stack_refuses_every_notation_of_itself(url):
    with Receiver() as us:  # stands for the local stack's front door
        client = GuardedHttpClient(allow_private=True, refused_origins=(f"http://127.0.0.1:{us.port}",))
        with pytest.raises(BlockedTargetError, match="this OnCall deployment"):
            client.request("POST", url.format(port=us.port), headers={}, body=b"{}", timeout=2)
        assert us.requests == []


def test_another_local_port_is_still_allowed():
    with Receiver() as us, Receiver() as elsewhere:
        client = GuardedHttpClient(allow_private=True, refused_origins=(f"http://127.0.0.1:{us.port}",))
        assert client.request("POST", f"{elsewhere.url}/x", headers={}, body=b"{}", timeout=2).status == 200


@pytest.mark.parametrize(
    "url",
    ["https://oncall.example.com/x", "http://oncall.example.com:8080/x", "https://ONCALL.example.com./x"],
)
def test_the_deployed_stack_refuses_its_own_domain_on_any_scheme_and_port(url):
    client = ScriptedClient([(200, {}, b"")], resolver=RESOLVER, refused_origins=("https://oncall.example.com",))
    with pytest.raises(BlockedTargetError, match="this OnCall deployment"):
        client.request("POST", url, headers={}, body=b"{}", timeout=1)
    assert client.connected == []


def test_a_redirect_back_to_us_is_refused():
    client = ScriptedClient(
        [(307, {"location": "http://127.1:3000/integrations/v1/alertmanager/T/"}, b"")],
        resolver=RESOLVER,
        allow_private=True,
        refused_origins=("http://127.0.0.1:3000",),
    )
    with pytest.raises(BlockedTargetError, match="this OnCall deployment"):
        client.request("POST", "https://a.example.com/x", headers={}, body=b"{}", timeout=1)
    assert len(client.connected) == 1


def test_outgoing_webhooks_carry_the_hop_header_and_ingest_refuses_its_own(store, clock):
    from tests.unit.webhooks.test_webhooks import make_webhook

    marker = deployment_marker("oncall-Table-ABC")
    request = prepare_request(make_webhook(store, clock), {}, key="k", hop=marker)
    assert request.headers[HOP_HEADER] == marker
    with pytest.raises(LoopDetectedError):
        refuse_own_hop(request.headers[HOP_HEADER], "oncall-Table-ABC")
    refuse_own_hop(deployment_marker("another-deployment"), "oncall-Table-ABC")  # a chain of two stacks is fine
    refuse_own_hop("", "oncall-Table-ABC")
