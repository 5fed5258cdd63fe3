"""Events go to the events queue only when a webhook wants them (its only consumer)."""

import pytest

from oncall.groups.events import GroupEvent, GroupEventType, SqsEventSink
from oncall.platform import aws
from tests.fakes import FixedClock


class _Sqs:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send_message(self, QueueUrl: str, MessageBody: str) -> None:  # noqa: N803 - boto3's names
        self.sent.append(MessageBody)


@pytest.fixture
def sqs(monkeypatch):
    fake = _Sqs()
    monkeypatch.setattr(aws, "client", lambda service: fake)
    return fake


def _event(kind=GroupEventType.ALERT_ADDED) -> GroupEvent:
    return GroupEvent(type=kind, group_id="I1", integration_id="C1", at=FixedClock().now())


def test_an_event_no_webhook_wants_is_not_sent(sqs):
    sink = SqsEventSink("https://queue", wanted=lambda event: event.type == GroupEventType.RESOLVED)
    sink.publish(_event())
    assert sqs.sent == []
    sink.publish(_event(GroupEventType.RESOLVED))
    assert len(sqs.sent) == 1


def test_when_the_webhook_list_cannot_be_read_the_event_is_sent_anyway(sqs):
    def unreadable(event):
        raise RuntimeError("DynamoDB is down")

    SqsEventSink("https://queue", wanted=unreadable).publish(_event())
    assert len(sqs.sent) == 1


def test_without_a_filter_every_event_is_sent(sqs):
    SqsEventSink("https://queue").publish(_event())
    assert len(sqs.sent) == 1
