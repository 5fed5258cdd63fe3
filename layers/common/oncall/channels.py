"""Delivery channels. A channel gets a fully rendered Notification and delivers it; it never sees
templates, routes or groups.

`outbox://` is the local outbox (a JSONL file the local stack prints); in local mode every delivery is also
copied there, so a user sees what would have been sent.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

from oncall.models import Notification

OUTBOX_SCHEME = "outbox://"


class ChannelError(Exception):
    """A delivery failed; the message says why (without secrets)."""


class Notifier(Protocol):
    def deliver(self, notification: Notification) -> None: ...


class Outbox:
    def __init__(self, path: str) -> None:
        self._path = Path(path)
        self._lock = threading.Lock()

    def append(self, notification: Notification) -> None:
        line = notification.model_dump_json() + "\n"
        with self._lock, self._path.open("a", encoding="utf-8") as out:
            out.write(line)


class ChannelNotifier:
    def __init__(self, outbox: Outbox | None) -> None:
        self._outbox = outbox

    def deliver(self, notification: Notification) -> None:
        if self._outbox is not None:
            self._outbox.append(notification)
        if notification.channel.startswith(OUTBOX_SCHEME):
            if self._outbox is None:
                raise ChannelError("outbox:// delivers only in the local stack (ONCALL_OUTBOX_PATH is not set)")
            return
        raise ChannelError(f"unsupported channel: {notification.channel.split('://', 1)[0]}://")
