"""Delivery channels. A channel gets a fully rendered Notification and delivers it; it never sees
templates, routes or groups.

Channel URLs (a user's contact, or a notify_channel step):
  - Apprise URLs (slack://, msteams://, tgram://, discord://, mmost://, ntfy://, pover://, json://, mailto://, …);
  - ses://<address>      Amazon SES SendEmail, from the NOTIFICATION_SENDER identity;
  - sns-sms://<E.164>    Amazon SNS SMS (short title + the acknowledge link);
  - outbox://<name>      the local outbox only (a JSONL file the local stack prints).
In local mode (ONCALL_OUTBOX_PATH set) every delivery is also appended to the outbox, so a user sees what would
have been sent even where the real channel cannot be reached.

Failures raise ChannelError with a message that names the channel only in masked form.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path
from typing import Any, Protocol

from oncall.models import Notification
from oncall.platform.aws import AWS_ERRORS, client, error_code, http_status, is_refusal
from oncall.platform.masking import mask_url, scrub
from oncall.platform.netguard import (
    BlockedTargetError,
    Resolver,
    TransportError,
    check_url,
    guarded_resolution,
    system_resolver,
)

OUTBOX_SCHEME = "outbox://"
SES_SCHEME = "ses://"
SNS_SMS_SCHEME = "sns-sms://"
SMS_MAX_LENGTH = 300
EMAIL_SUBJECT_MAX = 200
ACTION_LABELS = {"acknowledge": "Acknowledge", "resolve": "Resolve", "silence_1h": "Silence for 1 hour"}

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_EMAIL = re.compile(r"^[^@\s/]+@[^@\s/]+\.[^@\s/]+$")
_SURFACES = {
    "sns-sms": "sms",
    "ses": "email",
    "mailto": "email",
    "mailtos": "email",
    "slack": "slack",
    "msteams": "msteams",
    "tgram": "telegram",
}
# Chat services that render markdown: the message goes as markdown with the action links as [label](url).
_MARKDOWN_SCHEMES = frozenset(
    {"slack", "msteams", "tgram", "discord", "mmost", "mmosts", "matrix", "matrixs", "rocket", "rockets", "zulip"}
)
# Apprise services whose host the user chooses (generic HTTP, self-hosted servers): the SSRF guard checks
# that host before Apprise connects. Apprise makes its own connection, so this check is not pinned.
_USER_HOST_SCHEMES = frozenset(
    {"json", "jsons", "xml", "xmls", "form", "forms", "mmost", "mmosts", "gotify", "gotifys", "ntfy", "ntfys"}
)
_APPRISE_TIMEOUT_SECONDS = 15
# The Apprise schemes a channel may use: services whose plugin connects through Python's socket module
# (requests/urllib3, smtplib), so that every connection passes the SSRF guard (`guarded_resolution`).
# Plugins that resolve names elsewhere (rsyslog:// hands the name to the C library from `sendto`; XMPP and
# MQTT resolve in threads or event loops of their own) or talk to local services (syslog://, dbus://, …)
# are refused: a channel naming them is a 400 at save time and a refused delivery if one is stored already.
# tests/unit/notify/test_channel_schemes.py proves, scheme by scheme, that each one listed here is guarded.
APPRISE_SCHEMES = frozenset(
    {
        "slack",
        "workflow",
        "workflows",
        "tgram",
        "discord",
        "mmost",
        "mmosts",
        "ntfy",
        "ntfys",
        "gotify",
        "gotifys",
        "pover",
        "json",
        "jsons",
        "xml",
        "xmls",
        "form",
        "forms",
        "mailto",
        "mailtos",
        "matrix",
        "matrixs",
        "rocket",
        "rockets",
        "zulip",
        "opsgenie",
        "pagerduty",
        "signal",
        "signals",
        "pbul",
        "gchat",
        "apprise",
        "apprises",
    }
)
OWN_SCHEMES = frozenset({"ses", "sns-sms", "outbox"})


class ChannelError(Exception):
    """A delivery failed; the message says why (without secrets). `retryable`: trying again later may work
    (a throttled or unreachable AWS service); otherwise the channel itself is wrong or refused it."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class Notifier(Protocol):
    def deliver(self, notification: Notification) -> None: ...


def scheme_of(channel: str) -> str:
    return channel.split("://", 1)[0].lower() if "://" in channel else ""


def channel_problem(channel: str) -> str | None:
    """Why a channel URL may not be saved (its scheme is not one we can guard), or None."""
    scheme = scheme_of(channel.strip())
    if not scheme:
        return "Not a channel URL (expected scheme://…)."
    if scheme in APPRISE_SCHEMES or scheme in OWN_SCHEMES:
        return None
    return (
        f"The scheme '{scheme}://' is not allowed: its connections cannot be checked by the SSRF guard. "
        f"Allowed: {', '.join(sorted(APPRISE_SCHEMES | OWN_SCHEMES))}."
    )


def surface_for(channel_url: str) -> str:
    """The appearance surface whose templates render a notification for this channel (sms, email, slack,
    msteams, telegram; web for everything else)."""
    return _SURFACES.get(scheme_of(channel_url), "web")


# ------------------------------------------------------------------------------------------ formatting
def action_lines(notification: Notification, *, markdown: bool) -> list[str]:
    links = [(ACTION_LABELS.get(name, name), url) for name, url in notification.action_links.items() if url]
    if notification.link:
        links.append((f"Open alert group #{notification.group_number}", notification.link))
    if markdown:
        return [" · ".join(f"[{label}]({url})" for label, url in links)] if links else []
    return [f"{label}: {url}" for label, url in links]


def chat_body(notification: Notification, *, markdown: bool) -> str:
    parts = [notification.message.strip()] if notification.message.strip() else []
    lines = action_lines(notification, markdown=markdown)
    if lines:
        parts.append("\n".join(lines))
    return "\n\n".join(parts) or notification.title


def email_text(notification: Notification) -> str:
    parts = [notification.title]
    if notification.message.strip():
        parts.append(notification.message.strip())
    parts.append("\n".join(action_lines(notification, markdown=False)))
    parts.append(f"— Serverless OnCall, integration {notification.integration_name}")
    return "\n\n".join(p for p in parts if p)


def sms_text(notification: Notification) -> str:
    """The short title and the acknowledge link only, at most SMS_MAX_LENGTH characters (the link is kept
    whole; the title is shortened)."""
    ack = notification.action_links.get("acknowledge")
    suffix = f" Ack: {ack}" if ack else ""
    room = SMS_MAX_LENGTH - len(suffix)
    title = " ".join(notification.title.split())
    if len(title) > room:
        title = title[: max(room - 1, 0)].rstrip() + "…"
    return (title + suffix)[:SMS_MAX_LENGTH]


# ------------------------------------------------------------------------------------------ outbox
class Outbox:
    """The local stack's record of every delivery (and what its console prints). The file is readable by its
    owner only (0600) and holds each channel URL masked: channel URLs are credentials."""

    def __init__(self, path: str) -> None:
        self._path = Path(path)
        self._lock = threading.Lock()

    def append(self, notification: Notification) -> None:
        shown = notification.model_copy(update={"channel": mask_url(notification.channel)})
        line = shown.model_dump_json() + "\n"
        with self._lock:
            descriptor = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.fchmod(descriptor, 0o600)  # a file created before (0644) is narrowed too
            with os.fdopen(descriptor, "a", encoding="utf-8") as out:
                out.write(line)


# ------------------------------------------------------------------------------------------ the notifier
class ChannelNotifier:
    def __init__(
        self,
        outbox: Outbox | None,
        *,
        sender: str = "",
        allow_private: bool = False,
        resolver: Resolver = system_resolver,
    ) -> None:
        self._outbox = outbox
        self._sender = sender
        self._allow_private = allow_private
        self._resolver = resolver

    def deliver(self, notification: Notification) -> None:
        channel = notification.channel.strip()
        if self._outbox is not None:
            self._outbox.append(notification)
        if channel.startswith(OUTBOX_SCHEME):
            if self._outbox is None:
                raise ChannelError("outbox:// delivers only in the local stack (ONCALL_OUTBOX_PATH is not set)")
            return
        if channel.startswith(SES_SCHEME):
            self._send_email(channel.removeprefix(SES_SCHEME).strip("/"), notification)
        elif channel.startswith(SNS_SMS_SCHEME):
            self._send_sms(channel.removeprefix(SNS_SMS_SCHEME).strip("/"), notification)
        else:
            self._send_apprise(channel, notification)

    # Amazon SES --------------------------------------------------------------------------------------
    def _send_email(self, address: str, notification: Notification) -> None:
        label = mask_url(SES_SCHEME + address)
        if not self._sender:
            raise ChannelError(f"{label}: no sender address (set the NotificationSender template parameter)")
        if not _EMAIL.match(address):
            raise ChannelError(f"{label}: not an e-mail address")
        subject = " ".join(notification.title.split())[:EMAIL_SUBJECT_MAX]
        self._aws(
            label,
            "ses",
            "send_email",
            Source=self._sender,
            Destination={"ToAddresses": [address]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": email_text(notification), "Charset": "UTF-8"}},
            },
        )

    # Amazon SNS SMS ----------------------------------------------------------------------------------
    def _send_sms(self, number: str, notification: Notification) -> None:
        label = mask_url(SNS_SMS_SCHEME + number)
        if not _E164.match(number):
            raise ChannelError(f"{label}: not an E.164 phone number (+<country code><number>)")
        self._aws(
            label,
            "sns",
            "publish",
            PhoneNumber=number,
            Message=sms_text(notification),
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            },
        )

    @staticmethod
    def _aws(label: str, service: str, operation: str, **request: Any) -> None:
        try:
            getattr(client(service), operation)(**request)
        except AWS_ERRORS as error:
            if not is_refusal(error):
                raise ChannelError(
                    f"{label}: {service.upper()} unreachable ({type(error).__name__})", retryable=True
                ) from None
            code = error_code(error, default="Error")
            status = http_status(error) or 400
            retryable = status >= 500 or "Throttl" in code or code in ("TooManyRequestsException",)
            raise ChannelError(
                f"{label}: {service.upper()} refused the message ({code})", retryable=retryable
            ) from None

    # Apprise -----------------------------------------------------------------------------------------
    def _send_apprise(self, channel: str, notification: Notification) -> None:
        import apprise  # imported on first use: it loads ~100 plugins

        label = mask_url(channel)
        scheme = scheme_of(channel)
        if not scheme:
            raise ChannelError("not a channel URL (expected scheme://…)")
        if scheme not in APPRISE_SCHEMES:  # stored before the allowlist existed: never sent
            raise ChannelError(f"{label}: target refused: the scheme '{scheme}://' is not allowed")
        instance = apprise.Apprise.instantiate(channel, asset=_asset())
        if instance is None:
            raise ChannelError(f"{label}: unsupported or malformed channel URL")
        if scheme in _USER_HOST_SCHEMES:
            self._guard_host(instance, scheme, label)
        markdown = scheme in _MARKDOWN_SCHEMES
        service = apprise.Apprise(asset=_asset())
        service.add(instance)
        problems: list[str] = []
        # Apprise connects by itself (and follows redirects): every address it resolves is checked as it
        # connects, so no plugin, redirect or rebinding DNS answer reaches a private or metadata address.
        with guarded_resolution(allow_private=self._allow_private) as guard:
            result = service.notify(
                body=chat_body(notification, markdown=markdown),
                title=notification.title,
                notify_type=apprise.NotifyType.FAILURE if notification.important else apprise.NotifyType.WARNING,
                body_format=apprise.NotifyFormat.MARKDOWN if markdown else apprise.NotifyFormat.TEXT,
                timeout=_APPRISE_TIMEOUT_SECONDS,
                log_callback=lambda entry, _plugin: problems.append(entry.message),
                log_level=logging.WARNING,
            )
        if not result and guard.refused:
            raise ChannelError(f"{label}: target refused: {scrub(guard.refused[-1], channel)}")
        if not result:
            reason = scrub(problems[-1], channel) if problems else "the service refused the message"
            raise ChannelError(f"{label}: delivery failed: {reason}", retryable=True)

    def _guard_host(self, instance: Any, scheme: str, label: str) -> None:
        host = getattr(instance, "host", None)
        if not host or (scheme.startswith("ntfy") and getattr(instance, "mode", "") == "cloud"):
            return
        secure = bool(getattr(instance, "secure", False))
        port = getattr(instance, "port", None)
        url = f"{'https' if secure else 'http'}://{host}" + (f":{port}" if port else "") + "/"
        try:
            check_url(url, allow_private=self._allow_private, resolver=self._resolver)
        except BlockedTargetError as error:
            raise ChannelError(f"{label}: target refused: {error}") from None
        except TransportError as error:
            raise ChannelError(f"{label}: {error}", retryable=True) from None


_ASSET: Any = None


def _asset() -> Any:
    global _ASSET
    if _ASSET is None:
        import apprise  # on first use, as in _send_apprise

        # async_mode off: a notification is sent in the calling thread, where guarded_resolution applies.
        _ASSET = apprise.AppriseAsset(app_id="Serverless OnCall", app_desc="Alert escalation", async_mode=False)
    return _ASSET
