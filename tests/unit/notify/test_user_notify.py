"""A user's test notification: one per contact, through the notifier; failures are outcomes, secrets scrubbed."""

from datetime import UTC, datetime

import pytest

from oncall.models import User
from oncall.notify.channels import ChannelError
from oncall.notify.user_notify import TEST_TITLE, send_test_notification
from oncall.platform.errors import ValidationError

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7F"


class RecordingNotifier:
    def __init__(self, refuse: set[str] = frozenset()) -> None:
        self.sent = []
        self.refuse = refuse

    def deliver(self, notification) -> None:
        self.sent.append(notification)
        if notification.channel in self.refuse:
            raise ChannelError(f"delivery to {notification.channel} failed: 404")


def _user(**contacts) -> User:
    return User(id="U1", username="alice", contacts=contacts, created_at=NOW)


def test_every_contact_gets_one_test_and_a_failure_is_an_outcome_with_the_secret_scrubbed():
    notifier = RecordingNotifier(refuse={SLACK})
    outcomes = send_test_notification(_user(pager="outbox://alice", slack=SLACK), None, notifier=notifier, now=NOW)
    assert [(o.contact, o.sent) for o in outcomes] == [("pager", True), ("slack", False)]
    assert "TIiajkdnlazkcOXrIdevi7F" not in outcomes[1].error and "404" in outcomes[1].error
    assert "TIiajkdnlazkcOXrIdevi7F" not in outcomes[1].channel
    assert {n.title for n in notifier.sent} == {TEST_TITLE} and {n.user_id for n in notifier.sent} == {"U1"}
    assert notifier.sent[1].surface == "slack"  # the channel's own surface, as a page would use


def test_one_named_contact_only_and_unknown_or_no_contacts_are_refused():
    notifier = RecordingNotifier()
    user = _user(pager="outbox://alice", slack=SLACK)
    assert [o.contact for o in send_test_notification(user, "slack", notifier=notifier, now=NOW)] == ["slack"]
    with pytest.raises(ValidationError, match="phone"):
        send_test_notification(user, "phone", notifier=notifier, now=NOW)
    with pytest.raises(ValidationError, match="no contacts"):
        send_test_notification(_user(), None, notifier=notifier, now=NOW)
    assert len(notifier.sent) == 1
