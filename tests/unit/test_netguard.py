"""The SSRF guard: which targets are refused, and that connections go to the address that was checked."""

from __future__ import annotations

import pytest

from oncall.netguard import (
    BlockedTargetError,
    GuardedHttpClient,
    TransportError,
    check_url,
)
from tests.http_receiver import Receiver


def resolver_of(table: dict[str, list[str]]):
    calls: list[str] = []

    def resolve(host: str) -> list[str]:
        calls.append(host)
        if host not in table:
            raise OSError("NXDOMAIN")
        return table[host]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


PUBLIC = resolver_of({"hooks.example.com": ["93.184.216.34"]})


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost.localdomain.invalid/",  # resolved below to loopback
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",  # carrier-grade NAT: not public
        "http://169.254.10.10/",  # link-local
        "http://[::1]/",
        "http://[fc00::1]/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
        "http://[::ffff:7f00:1]/",
        "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
        "http://[2002:c0a8:101::]/",  # 6to4 of 192.168.1.1
        "http://2130706433/",  # decimal 127.0.0.1
        "http://0x7f000001/",  # hex
        "http://017700000001/",  # octal
        "http://0x7f.1/",  # short hex form
        "http://127.1/",  # short dotted form
        "http://0/",  # unspecified
        "http://[::]/",
        "http://224.0.0.1/",  # multicast
        "http://240.0.0.1/",  # reserved
    ],
)
def test_private_and_special_addresses_are_refused(url):
    resolver = resolver_of({"localhost.localdomain.invalid": ["127.0.0.1"]})
    with pytest.raises(BlockedTargetError):
        check_url(url, allow_private=False, resolver=resolver)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://169.254.170.2/v2/credentials",
        "http://2852039166/",  # decimal 169.254.169.254
        "http://[::ffff:169.254.169.254]/",
        "http://100.100.100.200/",
    ],
)
def test_metadata_endpoints_are_refused_even_when_private_targets_are_allowed(url):
    with pytest.raises(BlockedTargetError, match="metadata"):
        check_url(url, allow_private=True, resolver=PUBLIC)


def test_private_targets_pass_when_allowed():
    target = check_url("http://127.0.0.1:8080/hook?x=1", allow_private=True, resolver=PUBLIC)
    assert (target.address, target.port, target.path) == ("127.0.0.1", 8080, "/hook?x=1")


def test_a_public_name_passes_and_is_pinned_to_its_address():
    target = check_url("https://hooks.example.com/x", allow_private=False, resolver=PUBLIC)
    assert (target.host, target.address, target.port, target.host_header) == (
        "hooks.example.com",
        "93.184.216.34",
        443,
        "hooks.example.com",
    )


def test_a_name_resolving_to_a_private_address_is_refused():
    resolver = resolver_of({"intranet.example.com": ["10.0.0.7"]})
    with pytest.raises(BlockedTargetError, match=r"intranet.example.com \(resolves to 10.0.0.7\) is a private"):
        check_url("https://intranet.example.com/", allow_private=False, resolver=resolver)


def test_one_private_answer_among_public_ones_is_enough_to_refuse():
    resolver = resolver_of({"mixed.example.com": ["93.184.216.34", "192.168.0.10"]})
    with pytest.raises(BlockedTargetError):
        check_url("https://mixed.example.com/", allow_private=False, resolver=resolver)


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "http:///nohost"])
def test_only_http_and_https_with_a_host(url):
    with pytest.raises(BlockedTargetError):
        check_url(url, allow_private=False, resolver=PUBLIC)


def test_an_unresolvable_name_is_a_retryable_transport_error():
    with pytest.raises(TransportError) as raised:
        check_url("https://nowhere.example.com/", allow_private=False, resolver=PUBLIC)
    assert raised.value.retryable


# ------------------------------------------------------------------------------------------ the client
class ScriptedClient(GuardedHttpClient):
    """The guard's redirect logic with scripted responses instead of sockets; records where it connected."""

    def __init__(self, responses, **kwargs):
        super().__init__(**kwargs)
        self.responses = list(responses)
        self.connected: list[tuple[str, str, str, dict]] = []

    def _send(self, target, method, headers, body, timeout):
        self.connected.append((target.host, target.address, method, dict(headers)))
        return self.responses.pop(0)


def test_a_redirect_to_a_private_address_is_refused_before_connecting():
    resolver = resolver_of({"hooks.example.com": ["93.184.216.34"], "internal.example.com": ["10.0.0.5"]})
    client = ScriptedClient([(302, {"location": "http://internal.example.com/admin"}, b"")], resolver=resolver)
    with pytest.raises(BlockedTargetError, match="private"):
        client.request("POST", "https://hooks.example.com/x", headers={}, body=b"{}", timeout=1)
    assert [c[0] for c in client.connected] == ["hooks.example.com"]


def test_dns_rebinding_cannot_move_the_connection_or_a_later_hop():
    # given a name that answers public first, then private (a rebinding attacker)
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    client = ScriptedClient([(307, {"location": "/again"}, b""), (200, {}, b"ok")], resolver=lambda host: next(answers))
    # when the first hop redirects to the same host
    with pytest.raises(BlockedTargetError, match="loopback"):
        client.request("POST", "https://rebind.example.com/x", headers={}, body=b"{}", timeout=1)
    # then the first connection went to the checked address, and the re-check of the second hop refused it
    assert [(c[0], c[1]) for c in client.connected] == [("rebind.example.com", "93.184.216.34")]


def test_cross_host_redirects_drop_credentials_and_post_becomes_get_on_302():
    resolver = resolver_of({"a.example.com": ["93.184.216.34"], "b.example.com": ["93.184.216.35"]})
    client = ScriptedClient(
        [(302, {"location": "https://b.example.com/next"}, b""), (200, {}, b"done")], resolver=resolver
    )
    result = client.request(
        "POST",
        "https://a.example.com/x",
        headers={"Authorization": "Bearer s3cret", "Content-Type": "application/json", "X-Other": "1"},
        body=b"{}",
        timeout=1,
    )
    assert (result.status, result.url, result.redirects) == (200, "https://b.example.com/next", 1)
    _, _, method, headers = client.connected[1]
    assert method == "GET" and headers == {"X-Other": "1"}


def test_too_many_redirects_stop():
    client = ScriptedClient([(302, {"location": "/loop"}, b"")] * 5, resolver=PUBLIC, max_redirects=2)
    with pytest.raises(BlockedTargetError, match="redirects"):
        client.request("GET", "https://hooks.example.com/loop", headers={}, body=None, timeout=1)
    assert len(client.connected) == 3


def test_our_own_base_url_is_refused():
    client = ScriptedClient([], resolver=PUBLIC, refused_origins=("https://hooks.example.com:443/oncall",))
    with pytest.raises(BlockedTargetError, match="this OnCall"):
        client.request("GET", "https://hooks.example.com/oncall/api/v1/", headers={}, body=None, timeout=1)


# ------------------------------------------------------------------------------------------ real sockets
def test_the_connection_goes_to_the_checked_address_with_the_original_host_header():
    # given a name that only our resolver knows (the system resolver would fail on .invalid)
    with Receiver() as receiver:
        client = GuardedHttpClient(allow_private=True, resolver=resolver_of({"pinned.invalid": ["127.0.0.1"]}))
        result = client.request(
            "POST", f"http://pinned.invalid:{receiver.port}/hook", headers={}, body=b'{"a":1}', timeout=2
        )
    assert result.status == 200
    assert receiver.requests[0].headers["Host"] == f"pinned.invalid:{receiver.port}"
    assert receiver.requests[0].body == b'{"a":1}'


def test_a_real_redirect_to_the_metadata_endpoint_is_refused():
    with Receiver(script=[(302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")]) as receiver:
        client = GuardedHttpClient(allow_private=True)
        with pytest.raises(BlockedTargetError, match="metadata"):
            client.request("GET", f"http://127.0.0.1:{receiver.port}/", headers={}, body=None, timeout=2)
    assert len(receiver.requests) == 1


def test_loopback_is_refused_by_default_without_connecting():
    with Receiver() as receiver, pytest.raises(BlockedTargetError, match="ONCALL_ALLOW_PRIVATE_TARGETS"):
        GuardedHttpClient().request("GET", f"http://127.0.0.1:{receiver.port}/", headers={}, body=None, timeout=2)
    assert receiver.requests == []


def test_a_timeout_is_a_retryable_transport_error():
    with Receiver(delay=1.0) as receiver, pytest.raises(TransportError, match="timed out") as raised:
        GuardedHttpClient(allow_private=True).request(
            "GET", f"http://127.0.0.1:{receiver.port}/", headers={}, body=None, timeout=0.2
        )
    assert raised.value.retryable


def test_a_refused_connection_is_a_retryable_transport_error():
    with Receiver() as receiver:
        port = receiver.port
    with pytest.raises(TransportError, match="cannot connect"):
        GuardedHttpClient(allow_private=True).request(
            "GET", f"http://127.0.0.1:{port}/", headers={}, body=None, timeout=1
        )
