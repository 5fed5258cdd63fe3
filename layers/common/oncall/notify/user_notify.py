"""A user's test notification: one message through each of the user's contacts (or one named contact), by the
same notifier and channels the escalation pages with. Used by the API (POST /users/{id}/test_notification)
and the console's user page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from oncall.models import Notification, User
from oncall.notify.channels import ChannelError, Notifier, surface_for
from oncall.platform.errors import ValidationError
from oncall.platform.masking import mask_url, scrub

TEST_TITLE = "Test notification from Serverless OnCall"
TEST_MESSAGE = "This is a test of your contact {contact}. Nothing is firing; there is nothing to acknowledge."


@dataclass(frozen=True)
class SendOutcome:
    contact: str
    channel: str  # masked, as the API shows contacts
    sent: bool
    error: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"contact": self.contact, "channel": self.channel, "sent": self.sent, "error": self.error or None}


def send_test_notification(user: User, contact: str | None, *, notifier: Notifier, now: datetime) -> list[SendOutcome]:
    """Send the test to `contact`, or to every contact when it is None. A channel's failure is an outcome, not an
    exception (the caller shows it); a user without that contact is a ValidationError."""
    if contact is not None and contact not in user.contacts:
        raise ValidationError(f"contact: {user.username} has no contact named {contact!r}.")
    names = [contact] if contact is not None else sorted(user.contacts)
    if not names:
        raise ValidationError(f"{user.username} has no contacts to test: add one first.")
    outcomes = []
    for name in names:
        url = user.contacts[name]
        notification = Notification(
            group_id="",
            group_number=0,
            integration_name="test notification",
            channel=url,
            surface=surface_for(url),
            title=TEST_TITLE,
            message=TEST_MESSAGE.format(contact=name),
            user_id=user.id,
            idempotency_key=f"test#{user.id}#{name}#{now.isoformat()}",
        )
        try:
            notifier.deliver(notification)
        except ChannelError as error:
            outcomes.append(SendOutcome(name, mask_url(url), False, scrub(str(error), url)))
        else:
            outcomes.append(SendOutcome(name, mask_url(url), True))
    return outcomes
