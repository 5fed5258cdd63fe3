"""Delivery channels: surfaces, formatting per surface, the outbox, Apprise (for real, to a local receiver)
and the SSRF guard in front of user-chosen hosts."""

from __future__ import annotations

import json

import pytest

from oncall.models import Notification
from oncall.notify.channels import (
    SMS_MAX_LENGTH,
    ChannelError,
    ChannelNotifier,
    Outbox,
    chat_body,
    email_text,
    sms_text,
    surface_for,
)
from oncall.platform.masking import mask_url
from tests.http_receiver import Receiver

LINKS = {
    "acknowledge": "https://oncall.test/a/ack-token",
    "resolve": "https://oncall.test/a/resolve-token",
    "silence_1h": "https://oncall.test/a/silence-token",
}


def notification(channel: str = "outbox://demo", **fields) -> Notification:
    values = {
        "group_id": "IABC",
        "group_number": 7,
        "integration_name": "Prometheus prod",
        "channel": channel,
        "title": "#7 DiskFull on db-1",
        "message": "Disk *full*",
        "link": "https://oncall.test/api/v1/alert_groups/IABC",
        "action_links": LINKS,
        "idempotency_key": "k1",
        **fields,
    }
    return Notification(**values)


@pytest.mark.parametrize(
    ("channel", "surface"),
    [
        ("sns-sms://+15551234567", "sms"),
        ("ses://ops@example.com", "email"),
        ("mailto://user:pw@example.com", "email"),
        ("mailtos://user:pw@example.com", "email"),
        ("slack://T1/B1/C1", "slack"),
        ("msteams://a/b/c/d", "msteams"),
        ("tgram://bot/chat", "telegram"),
        ("discord://1/2", "web"),
        ("json://example.com/hook", "web"),
        ("outbox://demo", "web"),
    ],
)
def test_surface_for_channel(channel, surface):
    assert surface_for(channel) == surface


def test_chat_body_has_the_message_and_markdown_action_links():
    body = chat_body(notification(), markdown=True)
    assert body.startswith("Disk *full*\n\n")
    assert "[Acknowledge](https://oncall.test/a/ack-token)" in body
    assert "[Resolve](https://oncall.test/a/resolve-token)" in body
    assert "[Silence for 1 hour](https://oncall.test/a/silence-token)" in body
    assert "[Open alert group #7](https://oncall.test/api/v1/alert_groups/IABC)" in body


def test_plain_bodies_list_links_one_per_line():
    assert "Acknowledge: https://oncall.test/a/ack-token\nResolve: https://oncall.test/a/resolve-token" in email_text(
        notification()
    )


def test_sms_is_short_and_carries_only_the_acknowledge_link():
    text = sms_text(notification(title="#7 " + "very long title " * 40))
    assert len(text) <= SMS_MAX_LENGTH
    assert text.endswith(" Ack: https://oncall.test/a/ack-token")
    assert "resolve-token" not in text and "silence-token" not in text
    assert sms_text(notification(action_links={})) == "#7 DiskFull on db-1"


def test_outbox_channel_needs_the_local_outbox():
    with pytest.raises(ChannelError, match="local stack"):
        ChannelNotifier(None).deliver(notification())


def test_local_mode_copies_every_delivery_to_the_outbox(tmp_path):
    outbox = tmp_path / "outbox.jsonl"
    notifier = ChannelNotifier(Outbox(str(outbox)))
    notifier.deliver(notification())
    [line] = outbox.read_text().splitlines()
    assert json.loads(line)["channel"] == "outbox://demo"


def test_an_unreachable_chat_service_fails_clearly_without_leaking_its_token(tmp_path):
    # given the local machine (no internet) and a Slack URL whose path is the secret
    outbox = tmp_path / "outbox.jsonl"
    channel = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#alerts"
    # when it is delivered
    with pytest.raises(ChannelError) as raised:
        ChannelNotifier(Outbox(str(outbox))).deliver(notification(channel))
    # then the failure is a ChannelError that names the channel masked, and the outbox still shows it
    message = str(raised.value)
    assert message.startswith("slack://****/****#****: delivery failed")
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in message and "T1JJ3T3L2" not in message
    assert json.loads(outbox.read_text())["channel"] == mask_url(channel)  # the outbox never holds secrets


def test_a_scheme_outside_the_allowlist_is_refused():
    with pytest.raises(ChannelError, match="is not allowed"):
        ChannelNotifier(None).deliver(notification("nosuchservice://x/y"))


def test_json_channel_delivers_title_message_and_links_through_apprise():
    with Receiver() as receiver:
        notifier = ChannelNotifier(None, allow_private=True)
        notifier.deliver(notification(f"json://127.0.0.1:{receiver.port}/hook"))
    [request] = receiver.requests
    body = request.json()
    assert request.path == "/hook"
    assert body["title"] == "#7 DiskFull on db-1"
    assert "Acknowledge: https://oncall.test/a/ack-token" in body["message"]


def test_json_channel_to_a_private_host_is_refused_unless_allowed():
    with Receiver() as receiver, pytest.raises(ChannelError, match="target refused.*loopback"):
        ChannelNotifier(None).deliver(notification(f"json://127.0.0.1:{receiver.port}/hook"))
    assert receiver.requests == []


def test_json_channel_to_a_name_resolving_to_metadata_is_refused():
    notifier = ChannelNotifier(None, allow_private=True, resolver=lambda host: ["169.254.169.254"])
    with pytest.raises(ChannelError, match="metadata"):
        notifier.deliver(notification("jsons://user:secret@hooks.example.com/x"))


def test_ses_needs_a_sender_and_an_address():
    with pytest.raises(ChannelError, match="NotificationSender"):
        ChannelNotifier(None).deliver(notification("ses://ops@example.com"))
    with pytest.raises(ChannelError, match="not an e-mail address"):
        ChannelNotifier(None, sender="oncall@example.com").deliver(notification("ses://nobody"))


@pytest.mark.parametrize("number", ["5551234567", "+0123456789", "+1 555 123", "+1555abc4567"])
def test_sms_needs_an_e164_number(number):
    with pytest.raises(ChannelError, match="E.164"):
        ChannelNotifier(None).deliver(notification(f"sns-sms://{number}"))


def test_a_malformed_url_of_an_allowed_scheme_is_refused():
    with pytest.raises(ChannelError, match="unsupported or malformed"):
        ChannelNotifier(None).deliver(notification("slack://"))
