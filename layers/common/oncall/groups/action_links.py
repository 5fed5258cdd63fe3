"""Signed action links: acknowledge, resolve or silence an alert group straight from a notification, without
an API token — the signature is the authentication.

A link is `<base>/actions/<token>` with token `<group id>.<action>.<expires>.<user id or ->.<signature>`:
the signature is HMAC-SHA256 (base64url, unpadded) over the other four parts, keyed with the deployment's
`ActionLinkKey` (an SSM SecureString). `expires` is a Unix time; the user id (when the notification went to
a person) names who acts. Changing any part invalidates the signature; replacing the key invalidates every link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from collections.abc import Callable
from dataclasses import dataclass

from oncall.platform.clock import Clock
from oncall.platform.errors import ActionLinkError

ACKNOWLEDGE = "acknowledge"
RESOLVE = "resolve"
SILENCE_1H = "silence_1h"
ACKNOWLEDGE_AGAIN = "acknowledge_again"  # the answer to an acknowledge reminder ("still working on it")

# What each action is called on the confirmation page and in the console.
ACTION_LABELS = {
    ACKNOWLEDGE: "Acknowledge",
    RESOLVE: "Resolve",
    SILENCE_1H: "Silence for 1 hour",
    ACKNOWLEDGE_AGAIN: "Acknowledge again",
}
NOTIFICATION_ACTIONS = (ACKNOWLEDGE, RESOLVE, SILENCE_1H)
REMINDER_ACTIONS = (ACKNOWLEDGE_AGAIN, RESOLVE)
SILENCE_1H_SECONDS = 3600

_NO_USER = "-"
_VERSION = b"oncall-action-link-v1"


@dataclass(frozen=True)
class ActionLink:
    group_id: str
    action: str
    expires: int  # Unix time
    user_id: str | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class ActionLinks:
    """Signs and verifies action links. `secret` is called for every use (the caller caches it)."""

    def __init__(self, secret: Callable[[], str], clock: Clock, ttl_seconds: int) -> None:
        self._secret = secret
        self._clock = clock
        self._ttl = ttl_seconds

    def _signature(self, group_id: str, action: str, expires: int, user: str) -> str:
        key = self._secret().encode("utf-8")
        if not key:
            raise ActionLinkError("Action links are not configured on this deployment.")
        message = b"\n".join([_VERSION, group_id.encode(), action.encode(), str(expires).encode(), user.encode()])
        return _b64(hmac.new(key, message, hashlib.sha256).digest())

    def token(self, group_id: str, action: str, user_id: str | None = None) -> str:
        if action not in ACTION_LABELS:
            raise ValueError(f"unknown action {action!r}")
        expires = math.ceil(self._clock.now().timestamp()) + self._ttl
        user = user_id or _NO_USER
        return ".".join([group_id, action, str(expires), user, self._signature(group_id, action, expires, user)])

    def url(self, base_url: str, group_id: str, action: str, user_id: str | None = None) -> str:
        return f"{base_url.rstrip('/')}/actions/{self.token(group_id, action, user_id)}"

    def links(
        self, base_url: str, group_id: str, actions: tuple[str, ...] = NOTIFICATION_ACTIONS, user_id: str | None = None
    ) -> dict[str, str]:
        return {action: self.url(base_url, group_id, action, user_id) for action in actions}

    def verify(self, token: str) -> ActionLink:
        """The link a token stands for; ActionLinkError if it was tampered with, is unknown or expired."""
        parts = token.split(".")
        if len(parts) != 5 or not all(parts) or not parts[2].isdigit() or len(token) > 512:
            raise ActionLinkError("This link is not valid.")
        group_id, action, expires_text, user, signature = parts
        if action not in ACTION_LABELS:
            raise ActionLinkError("This link is not valid.")
        expected = self._signature(group_id, action, int(expires_text), user)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise ActionLinkError("This link is not valid.")
        if int(expires_text) < self._clock.now().timestamp():
            raise ActionLinkError("This link has expired; act from the alert group in the API or a newer notification.")
        return ActionLink(group_id, action, int(expires_text), None if user == _NO_USER else user)
