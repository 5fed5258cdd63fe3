"""The SSRF guard: which targets are refused, and that connections go to the address that was checked."""

from __future__ import annotations

import pytest

from oncall.platform.netguard import (
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
        # added by the hardening review: more notations of the same places
        "http://127.0.0.1./",  # trailing dot
        "http://127.000.000.001/",  # zero-padded (octal to inet_aton)
        "http://0177.0.0.1/",  # octal first byte
        "http://0.0.0.0/",
        "http://0.0.0.0:8080/",
        "http://[0:0:0:0:0:ffff:7f00:1]/",  # IPv4-mapped, written out
        "http://[::ffff:0.0.0.0]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[::127.0.0.1]/",  # IPv4-compatible (deprecated)
        "http://[::ffff:0:7f00:1]/",  # IPv4-translated (SIIT)
        "http://[64:ff9b:1::a00:1]/",  # local-use NAT64
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
        "http://[fec0::1]/",  # site-local (deprecated, still routed by some)
        "http://[fd12:3456::1]/",  # unique local
        "http://[100::1]/",  # discard-only
        "http://[2001:db8::1]/",  # documentation
        "http://[ff02::1]/",  # multicast
        "http://[::2]/",
        "http://[fe80::1%25eth0]/",  # with a zone
        "http://LOCALHOST.localdomain.invalid/",  # names are resolved whatever their case
    ],
)
def test_private_and_special_addresses_are_refused(url):
    resolver = resolver_of(
        {"localhost.localdomain.invalid": ["127.0.0.1"], "LOCALHOST.localdomain.invalid": ["127.0.0.1"]}
    )
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
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
        "http://[2002:a9fe:a9fe::]/",  # 6to4 of 169.254.169.254
        "http://[::ffff:a9fe:a9fe]/",
        "http://0xa9fea9fe/",
        "http://169.254.169.254./",
        "http://[fd00:ec2::254]:80/",
        "http://192.0.0.192/",
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
    assert method == "GET" and headers == {}  # every configured header stays with its origin (issue 13 item 7)


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


# ------------------------------------------------------------------------------------------ hardening review
def test_localhost_through_the_system_resolver_is_refused():
    with pytest.raises(BlockedTargetError, match="loopback"):
        check_url("http://localhost:8080/", allow_private=False)


@pytest.mark.parametrize(
    "location",
    [
        "//127.0.0.1/admin",  # scheme-relative
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:25/",
        "http://0.0.0.0:1/",
    ],
)
def test_redirects_to_private_or_other_schemes_are_refused_before_connecting(location):
    client = ScriptedClient([(302, {"location": location}, b"")], resolver=PUBLIC)
    with pytest.raises(BlockedTargetError):
        client.request("GET", "https://hooks.example.com/x", headers={}, body=None, timeout=1)
    assert [c[0] for c in client.connected] == ["hooks.example.com"]


def test_a_real_redirect_to_the_unspecified_address_is_refused_even_with_private_targets_allowed():
    # 0.0.0.0 reaches this machine on Linux: it is refused whatever the setting
    with (
        Receiver() as inner,
        Receiver(script=[(302, {"Location": f"http://0.0.0.0:{inner.port}/"}, b"")]) as outer,
        pytest.raises(BlockedTargetError, match="unspecified"),
    ):
        GuardedHttpClient(allow_private=True).request("GET", outer.url, headers={}, body=None, timeout=2)
    assert len(outer.requests) == 1 and inner.requests == []


def test_rebinding_between_check_and_connect_cannot_move_a_real_connection(monkeypatch):
    # given DNS that answers the check with the receiver's address, and anything later with another one
    import socket

    looked_up: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def rebinding_dns(host, *args, **kwargs):
        looked_up.append(str(host))
        if host == "rebind.invalid":
            return real_getaddrinfo("10.255.255.1", *args, **kwargs)  # what the attacker answers at connect time
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    with Receiver() as receiver:
        client = GuardedHttpClient(allow_private=True, resolver=resolver_of({"rebind.invalid": ["127.0.0.1"]}))
        result = client.request("GET", f"http://rebind.invalid:{receiver.port}/", headers={}, body=None, timeout=2)
    # then the connection went to the checked address and the name was never looked up again
    assert result.status == 200 and len(receiver.requests) == 1
    assert "rebind.invalid" not in looked_up


def test_a_target_trickling_its_answer_is_cut_off_at_the_timeout():
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    stop = threading.Event()

    def trickle():
        connection, _ = server.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        while not stop.is_set():  # one byte every 0.1 s: each read is quick, the answer never ends
            try:
                connection.sendall(b"x")
            except OSError:
                break
            time.sleep(0.1)
        connection.close()

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        with pytest.raises(TransportError, match="timed out"):
            GuardedHttpClient(allow_private=True).request(
                "GET", f"http://127.0.0.1:{server.getsockname()[1]}/", headers={}, body=None, timeout=1
            )
    finally:
        stop.set()
        server.close()
    assert time.monotonic() - started < 3


# ------------------------------------------------------------------------------------------ Apprise channels
def _notification(channel: str):
    from oncall.models import Notification

    return Notification(
        group_id="I1",
        group_number=1,
        integration_name="prod",
        channel=channel,
        title="Disk full",
        message="disk is full",
        idempotency_key="k",
    )


def test_apprise_follows_no_redirect_to_the_metadata_endpoint():
    from oncall.notify.channels import ChannelError, ChannelNotifier

    metadata = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    with (
        Receiver(script=[(302, {"Location": metadata}, b"")]) as receiver,
        pytest.raises(ChannelError, match="target refused.*metadata"),
    ):
        ChannelNotifier(None, allow_private=True).deliver(_notification(f"json://127.0.0.1:{receiver.port}/"))
    assert len(receiver.requests) == 1


def test_apprise_follows_no_redirect_to_the_unspecified_address():
    from oncall.notify.channels import ChannelError, ChannelNotifier

    with (
        Receiver() as inner,
        Receiver(script=[(307, {"Location": f"http://0.0.0.0:{inner.port}/"}, b"")]) as outer,
        pytest.raises(ChannelError, match="target refused"),
    ):
        ChannelNotifier(None, allow_private=True).deliver(_notification(f"json://127.0.0.1:{outer.port}/"))
    assert inner.requests == []


def test_apprise_cannot_be_rebound_to_a_private_address_after_the_check(monkeypatch):
    import socket

    from oncall.notify.channels import ChannelError, ChannelNotifier

    real_getaddrinfo = socket.getaddrinfo

    def rebinding_dns(host, *args, **kwargs):  # the connect-time answer: this machine
        return real_getaddrinfo("127.0.0.1" if host == "hooks.example.com" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    with Receiver() as receiver:
        # the check sees a public address; Apprise, connecting later, is answered 127.0.0.1
        notifier = ChannelNotifier(None, allow_private=False, resolver=lambda host: ["93.184.216.34"])
        with pytest.raises(ChannelError, match="target refused.*loopback"):
            notifier.deliver(_notification(f"json://hooks.example.com:{receiver.port}/"))
    assert receiver.requests == []


@pytest.mark.parametrize(
    "channel",
    [
        "apprise://127.0.0.1:{port}/token",  # custom-host schemes beyond the checked list
        "rocket://user:pass@127.0.0.1:{port}/room",
        "mailto://user:pass@127.0.0.1:{port}/?to=a@example.com",
    ],
)
def test_apprise_schemes_with_their_own_host_cannot_reach_private_addresses(channel):
    from oncall.notify.channels import ChannelError, ChannelNotifier

    with Receiver() as receiver, pytest.raises(ChannelError):
        ChannelNotifier(None, allow_private=False).deliver(_notification(channel.format(port=receiver.port)))
    assert receiver.requests == []


def test_the_guard_applies_only_while_active_and_only_to_its_thread():
    import socket
    import threading

    from oncall.platform.netguard import guarded_resolution

    with guarded_resolution(allow_private=False) as guard:
        with pytest.raises(socket.gaierror):
            socket.getaddrinfo("127.0.0.1", 80)
        other: list = []
        thread = threading.Thread(target=lambda: other.append(socket.getaddrinfo("127.0.0.1", 80)))
        thread.start()
        thread.join()
    assert other and socket.getaddrinfo("127.0.0.1", 80)
    assert guard.refused == ["127.0.0.1 is a loopback address"]
