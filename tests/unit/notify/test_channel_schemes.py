"""Issue 13 item 4: rsyslog:// (and any Apprise plugin that resolves names outside Python) bypassed the SSRF
guard and delivered to 127.0.0.1 with private targets refused. Channels may use only an explicit allowlist of
schemes; this file proves, scheme by scheme, that each allowed one connects through the guard, and that
refused ones are refused at save time and never reach a loopback listener."""

from __future__ import annotations

import contextlib
import socket

import pytest

from oncall.models import Notification
from oncall.notify.channels import APPRISE_SCHEMES, ChannelError, ChannelNotifier, channel_problem
from oncall.platform import netguard

# One well-formed URL per allowed Apprise scheme (made-up tokens; hosts are names, so DNS decides).
SAMPLES = {
    "slack": "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#alerts",
    "workflow": "workflow://prod-00.westus.logic.azure.com:443/abc123def456/sig123",
    "workflows": "workflows://prod-00.westus.logic.azure.com:443/abc123def456/sig123",
    "tgram": "tgram://123456789:AABBCCDDEEFFGGHHIIJJKKLLMMNNOOPPQQR/12345",
    "discord": "discord://123456789012345678/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcd",
    "mmost": "mmost://chat.example.com/abcdefghijklmnopqrstuvwxyz",
    "mmosts": "mmosts://chat.example.com/abcdefghijklmnopqrstuvwxyz",
    "ntfy": "ntfy://ntfy.example.com/topic",
    "ntfys": "ntfys://ntfy.example.com/topic",
    "gotify": "gotify://gotify.example.com/AbCdEfGhIjKlMnO",
    "gotifys": "gotifys://gotify.example.com/AbCdEfGhIjKlMnO",
    "pover": "pover://uQiRzpo4DXghDmr9QzzfQu27cmVRsG@azGDORePK8gMaC0QOYAMyEEuzJnyUi",
    "json": "json://hooks.example.com/path",
    "jsons": "jsons://hooks.example.com/path",
    "xml": "xml://hooks.example.com/path",
    "xmls": "xmls://hooks.example.com/path",
    "form": "form://hooks.example.com/path",
    "forms": "forms://hooks.example.com/path",
    "mailto": "mailto://user:pass@mail.example.com?to=ops@example.com",
    "mailtos": "mailtos://user:pass@mail.example.com?to=ops@example.com",
    "matrix": "matrix://user:pass@matrix.example.com/#room",
    "matrixs": "matrixs://user:pass@matrix.example.com/#room",
    "rocket": "rocket://user:pass@rocket.example.com/#channel",
    "rockets": "rockets://user:pass@rocket.example.com/#channel",
    "zulip": "zulip://bot@org.example.com/abcdefghijklmnopqrstuvwxyz012345/stream",
    "opsgenie": "opsgenie://abcdef01-2345-6789-abcd-ef0123456789",
    "pagerduty": "pagerduty://integrationkey1234@apikey12345678",
    "signal": "signal://signal.example.com/+15551234567/+15557654321",
    "signals": "signals://signal.example.com/+15551234567/+15557654321",
    "pbul": "pbul://o.abcdefghijklmnopqrstuvwxyz012345",
    "gchat": "gchat://workspace/webhook_key/webhook_token",
    "apprise": "apprise://apprise.example.com/token",
    "apprises": "apprises://apprise.example.com/token",
}


def notification(channel: str) -> Notification:
    return Notification(
        group_id="I1",
        group_number=1,
        integration_name="test",
        channel=channel,
        title="Disk full",
        message="on db-1",
        idempotency_key="k",
    )


def test_every_allowed_scheme_has_a_sample():
    assert set(SAMPLES) == set(APPRISE_SCHEMES)


@pytest.fixture
def dns_says_loopback(monkeypatch):
    """Every name resolves to 127.0.0.1 (a rebinding attacker's DNS), behind the guard's hook."""
    looked_up: list[str] = []

    def fake(host, port, *args, **kwargs):
        looked_up.append(host.decode() if isinstance(host, bytes) else str(host))
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", netguard._guarding(fake))
    return looked_up


@pytest.mark.parametrize("scheme", sorted(SAMPLES))
def test_each_allowed_scheme_connects_through_the_guard(dns_says_loopback, scheme):
    # given DNS that points every name at loopback, and private targets refused (the deployed posture)
    # (the pre-check of user-chosen hosts is told "public", so that the plugin goes on to connect by itself)
    notifier = ChannelNotifier(None, allow_private=False, resolver=lambda host: ["93.184.216.34"])
    # when a notification goes out on this scheme
    with pytest.raises(ChannelError) as raised:
        notifier.deliver(notification(SAMPLES[scheme]))
    # then the plugin's connection was checked and refused by the guard (nothing connected to loopback)
    assert "refused" in str(raised.value) and "loopback" in str(raised.value), str(raised.value)
    assert dns_says_loopback, "the plugin resolved no name through socket.getaddrinfo"


class UdpListener:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]

    def received(self) -> list[bytes]:
        got = []
        try:
            while True:
                got.append(self.sock.recv(65535))
        except TimeoutError:
            return got


class TcpListener:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0

    def received(self) -> int:
        try:
            while True:
                conn, _ = self.sock.accept()
                self.accepted += 1
                conn.close()
        except TimeoutError:
            return self.accepted


REFUSED = {
    "rsyslog": ("udp", "rsyslog://127.0.0.1:{port}/local0"),
    "syslog": ("udp", "syslog://127.0.0.1:{port}"),
    "mqtt": ("tcp", "mqtt://127.0.0.1:{port}/topic"),
    "growl": ("tcp", "growl://127.0.0.1:{port}"),
    "xmpp": ("tcp", "xmpp://user:pass@127.0.0.1:{port}"),
    "irc": ("tcp", "irc://127.0.0.1:{port}/#room"),
    "smpp": ("tcp", "smpp://user:pass@127.0.0.1:{port}/+15551234567/+15557654321"),
    "json-loopback": ("tcp", "json://127.0.0.1:{port}/x"),  # allowed scheme, refused address
    "mailto-loopback": ("tcp", "mailto://user:pass@127.0.0.1:{port}?to=ops@example.com&from=oncall@example.com"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_schemes_and_addresses_never_reach_a_loopback_listener(name):
    kind, template = REFUSED[name]
    listener = UdpListener() if kind == "udp" else TcpListener()
    channel = template.format(port=listener.port)
    try:
        # when the channel is saved: a scheme outside the allowlist is a 400 (a clear message)
        problem = channel_problem(channel)
        if "loopback" not in name:
            assert problem and "not allowed" in problem and "SSRF guard" in problem
        # and when one stored earlier is delivered with private targets refused
        with pytest.raises(ChannelError, match="refused"):
            ChannelNotifier(None, allow_private=False).deliver(notification(channel))
        # then the listener received nothing
        assert not listener.received()
    finally:
        listener.sock.close()


def test_rsyslog_reached_loopback_before_the_allowlist(monkeypatch):
    """The attack itself, with the allowlist switched off: the guard alone did not stop rsyslog://."""
    from oncall.notify import channels

    monkeypatch.setattr(channels, "APPRISE_SCHEMES", channels.APPRISE_SCHEMES | {"rsyslog"})
    listener = UdpListener()
    try:
        with contextlib.suppress(ChannelError):
            ChannelNotifier(None, allow_private=False).deliver(
                notification(f"rsyslog://127.0.0.1:{listener.port}/local0")
            )
        assert listener.received(), "rsyslog:// no longer bypasses the guard: the allowlist may be widened"
    finally:
        listener.sock.close()


def test_the_save_paths_refuse_a_scheme_outside_the_allowlist(store, clock):
    from oncall.configuration import changes as configuration
    from oncall.configuration.requests import ChainCreate, StepCreate
    from oncall.people import users as people
    from oncall.people.requests import UserWrite
    from oncall.platform.errors import ValidationError

    chain = configuration.create_chain(ChainCreate(name="c"), store=store, clock=clock)
    with pytest.raises(ValidationError, match="not allowed"):
        configuration.create_step(
            StepCreate(escalation_chain_id=chain.id, type="notify_channel", channel="rsyslog://127.0.0.1/local0"),
            store=store,
            clock=clock,
        )
    with pytest.raises(ValidationError, match="not allowed"):
        people.create_user(UserWrite(username="a", contacts={"log": "rsyslog://127.0.0.1/x"}), store=store, clock=clock)
