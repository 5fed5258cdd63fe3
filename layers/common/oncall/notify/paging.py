"""Paging: one notification about an alert group to one channel, rendered for that channel's surface, with
signed action links, delivered at most once.

Exactly once: every delivery is claimed (`store.claim_delivery`) under a key that names what it is — e.g.
(escalation execution, step, repetition, user, rule, contact) — before the channel sees it. A claimed key is
never delivered again, so a Step Functions retry or a re-run step pages nobody twice. A `ChannelError` (the
channel refused: unsupported or misconfigured URL) is recorded on the timeline and not retried; any other
error releases the claim and propagates, so the task's Retry delivers it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oncall.groups import timeline
from oncall.groups.action_links import NOTIFICATION_ACTIONS, ActionLinks
from oncall.groups.actions import ActionDeps
from oncall.models import AlertGroup, AlertGroupState, Notification
from oncall.monitoring import maintenance
from oncall.notify.channels import ChannelError, Notifier, surface_for
from oncall.storage.protocols import GroupChangedError
from oncall.templates.rendering import group_link, render_alert

# Claims on a group that changes between the read and the claim (a state change each time) before giving up.
_CLAIM_ATTEMPTS = 3


def pageable(group: AlertGroup) -> bool:
    """Firing, not attached to another group, not wiped: a group anyone may be paged about."""
    return group.state == AlertGroupState.FIRING and group.root_group_id is None and group.wiped_at is None


def channel_label(channel: str) -> str:
    """A channel URL as the timeline shows it: the scheme only (URLs carry tokens), outbox:// in full."""
    if not channel:
        return "(no channel)"
    if channel.startswith("outbox://") or "://" not in channel:
        return channel
    return channel.split("://", 1)[0] + "://…"


def key_part(text: str) -> str:
    """A delivery-key component for arbitrary text (URLs): short, stable, no separators."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Page:
    """One notification to deliver: where, about what, and how it shows up on the timeline."""

    key: str  # the delivery claim: the same key is never delivered twice
    channel: str  # the channel URL
    label: str  # who/where, for the timeline ("alice via sms", "outbox://demo")
    important: bool = False
    user_id: str | None = None  # the person paged (their action links name them)
    actions: tuple[str, ...] = NOTIFICATION_ACTIONS
    intro: str = ""  # a line above the rendered message (reminders)
    timeline_kind: str = timeline.NOTIFIED
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pager:
    deps: ActionDeps
    notifier: Notifier
    base_url: str
    links: ActionLinks | None = None

    def deliver(self, group: AlertGroup, page: Page, still_wanted: Callable[[AlertGroup], bool] | None = None) -> bool:
        """Deliver `page` unless its key was delivered before. True if it was delivered now.

        `group` is the group as the caller read it when it decided to page (`still_wanted(group)` held). The
        claim is written only while the group is still at that version, in the same write: a change committed
        in between (an acknowledgement, a resolve) makes the claim fail, the group is read again and the page
        goes out only if `still_wanted` (default: the group is firing) still holds for it. So nothing is sent
        about a group once an acknowledgement has been committed before the claim.

        In debug maintenance (maintenance.delivers_nothing) the claim is made but nothing is sent: the
        timeline gets "Would have notified …" instead of "Notified …"."""
        wanted = still_wanted or pageable
        store, now = self.deps.store, self.deps.clock.now()
        notification = self._notification(group, page)  # before the claim: a failure here claims nothing
        for _ in range(_CLAIM_ATTEMPTS):
            try:
                claimed = store.claim_delivery(group.id, page.key, now, group_version=group.version)
                break
            except GroupChangedError:
                fresh = store.get_group(group.id)
                if fresh is None or not wanted(fresh):
                    return False  # acknowledged, resolved, … since the caller's check: nothing leaves
                group = fresh
        else:
            raise GroupChangedError(group.id)  # the group keeps changing: the task's Retry tries again
        if not claimed:
            return False
        if maintenance.delivers_nothing(group, store, now):
            important = " (important)" if page.important else ""
            verb = "notified" if page.timeline_kind == timeline.NOTIFIED else "reminded"
            maintenance.would_have(
                group, f"{verb} {page.label}{important}: {notification.title}", now, store, **page.details
            )
            return False
        try:
            self.notifier.deliver(notification)
        except ChannelError as error:
            store.add_timeline(
                timeline.entry(
                    group.id,
                    now,
                    timeline.NOTIFICATION_FAILED,
                    f"Could not notify {page.label}: {error}",
                    **page.details,
                )
            )
            return False
        except Exception:
            store.release_delivery(group.id, page.key)  # let the retry deliver it
            raise
        text = f"Reminded {page.label}." if page.timeline_kind != timeline.NOTIFIED else f"Notified {page.label}."
        store.add_timeline(timeline.entry(group.id, now, page.timeline_kind, text, **page.details))
        return True

    def _notification(self, group: AlertGroup, page: Page) -> Notification:
        integration = self.deps.config.integration(group.integration_id)
        alert = self.deps.store.get_alert(group.first_alert_id)
        surface = surface_for(page.channel)
        if integration is not None and alert is not None:
            rendered = render_alert(integration, group, alert, surface=surface, base_url=self.base_url)
            title, message = rendered.title, rendered.message
        else:
            title, message = group.title, ""
        links = self.links.links(self.base_url, group.id, page.actions, page.user_id) if self.links else {}
        return Notification(
            group_id=group.id,
            group_number=group.number,
            integration_id=group.integration_id,
            integration_name=integration.name if integration else "",
            channel=page.channel,
            surface=surface,
            title=f"#{group.number} {title}",
            message=f"{page.intro}\n\n{message}".strip() if page.intro else message,
            link=group_link(self.base_url, group.id),
            important=page.important,
            user_id=page.user_id,
            action_links=links,
            idempotency_key=page.key,
        )
