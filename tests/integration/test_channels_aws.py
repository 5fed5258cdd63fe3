"""ses:// and sns-sms:// deliver through the real AWS APIs (moto here; the local stack uses moto too)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from oncall.notify.channels import SMS_MAX_LENGTH, ChannelError, ChannelNotifier
from oncall.platform import aws
from tests.unit.notify.test_channels import notification

SENDER = "oncall@example.com"


@pytest.fixture
def moto():
    with mock_aws():
        aws.reset_clients()
        try:
            yield
        finally:
            aws.reset_clients()


def test_ses_sends_the_title_as_subject_and_the_links_in_the_text_body(moto):
    # given a verified sender identity
    boto3.client("ses").verify_email_identity(EmailAddress=SENDER)
    # when a notification goes to ses://
    ChannelNotifier(None, sender=SENDER).deliver(notification("ses://ops@example.com"))
    # then SES sent one e-mail with the title as subject and the action links in the body
    [sent] = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert sent.source == SENDER and sent.destinations["ToAddresses"] == ["ops@example.com"]
    assert sent.subject == "#7 DiskFull on db-1"
    assert "Acknowledge: https://oncall.test/a/ack-token" in sent.body
    assert "Open alert group #7: https://oncall.test/api/v1/alert_groups/IABC" in sent.body


def test_ses_refusal_is_a_channel_error(moto):
    # given a sender identity that was never verified
    with pytest.raises(ChannelError, match=r"ses://ops@example.com: SES refused the message \(MessageRejected\)"):
        ChannelNotifier(None, sender=SENDER).deliver(notification("ses://ops@example.com"))


def test_sms_publishes_the_short_text_to_the_phone_number(moto):
    ChannelNotifier(None).deliver(notification("sns-sms://+15551234567", title="#7 " + "x" * 400))
    [(number, text)] = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values()
    assert number == "+15551234567"
    assert len(text) <= SMS_MAX_LENGTH and text.endswith("Ack: https://oncall.test/a/ack-token")
