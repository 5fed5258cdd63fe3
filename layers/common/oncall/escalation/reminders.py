"""Acknowledge reminders and auto-unacknowledge, on every channel (OnCall did this only in Slack, #1792).

Deployment settings (GET/PUT /api/v1/settings): `acknowledge_remind_timeout` (minutes, 0 = never) and
`unacknowledge_timeout` (minutes, 0 = never). After an acknowledgement (actions.acknowledge schedules the
first timer) an "ack_reminder" timer fires every `acknowledge_remind_timeout` minutes and re-notifies whoever
acknowledged — or, when that was not a person, whoever the escalation notified last — with a "still working
on it?" message carrying a signed "acknowledge again" link. With `unacknowledge_timeout` set, each reminder
instead starts an "auto_unack" timer: unless someone acknowledges again within that time, the group is
unacknowledged automatically and escalation restarts from step 0.

Every timer carries the acknowledgement it was made for (`ack_confirmed_at`); once the group is
unacknowledged, resolved or the acknowledgement confirmed again, a stale timer does nothing.
"""

from __future__ import annotations

from datetime import timedelta

from oncall.escalation.personal import rules_for
from oncall.groups import actions, timeline
from oncall.groups.action_links import REMINDER_ACTIONS
from oncall.models import AlertGroup, User
from oncall.notify.paging import Page, Pager, channel_label, key_part
from oncall.platform.clock import iso


def send_ack_reminder(group_id: str, data: dict, pager: Pager) -> None:
    deps = pager.deps
    group = deps.store.get_group(group_id)
    if not actions.acknowledgement_is(group, data):
        return
    now = deps.clock.now()
    if now - group.started_at > actions.ACK_REMINDER_MAX_AGE:
        return
    settings = deps.config.deployment_settings()
    count = int(data.get("count", 1))
    confirmed_at = group.ack_confirmed_at
    unack_minutes = settings.unacknowledge_timeout
    intro = (
        f"Still working on it? {group.acknowledged_by.label if group.acknowledged_by else 'Someone'} acknowledged "
        f"this alert group at {group.acknowledged_at:%Y-%m-%d %H:%M} UTC. Use “acknowledge again” to keep it"
        + (
            f"; otherwise it is unacknowledged automatically in {unack_minutes} minute(s) and escalation restarts."
            if unack_minutes > 0
            else " acknowledged."
        )
    )
    pages = _pages(group, pager, intro, f"ackr#{iso(confirmed_at)}#{count}")
    if not pages:
        deps.store.add_timeline(
            timeline.entry(
                group.id, now, timeline.NOTIFICATION_FAILED, "Acknowledge reminder: there is nobody to remind."
            )
        )
    for page in pages:
        pager.deliver(group, page, still_wanted=lambda fresh: actions.acknowledgement_is(fresh, data))
    if unack_minutes > 0:
        timer = actions.auto_unack_timer(group.id, confirmed_at, count, now + timedelta(minutes=unack_minutes))
    elif settings.acknowledge_remind_timeout > 0:
        fire_at = now + timedelta(minutes=settings.acknowledge_remind_timeout)
        timer = actions.ack_reminder_timer(group.id, confirmed_at, count + 1, fire_at)
    else:
        return
    name, kind, timer_data = timer
    deps.escalations.start(name, group.id, kind, timer_data)


def _pages(group: AlertGroup, pager: Pager, intro: str, key_prefix: str) -> list[Page]:
    store = pager.deps.store
    acknowledger = group.acknowledged_by
    user = store.get_user(acknowledger.user_id) if acknowledger and acknowledger.user_id else None
    if user is not None:
        return _user_pages(user, {r.contact for r in rules_for(user, False) if r.type == "notify"}, intro, key_prefix)
    # Acknowledged by an API token or a channel's link: remind whoever the escalation notified last.
    execution = group.escalation.execution_name if group.escalation else None
    notified = [
        e.details
        for e in store.list_timeline(group.id)
        if e.type == timeline.NOTIFIED and e.details.get("execution") == execution
    ]
    pages: list[Page] = []
    contacts_by_user: dict[str, set[str]] = {}
    channels: dict[str, None] = {}
    steps = group.escalation.steps if group.escalation else []
    for details in notified:
        if details.get("user_id"):
            contacts_by_user.setdefault(details["user_id"], set()).add(details.get("contact", ""))
        elif isinstance(details.get("step"), int) and details["step"] < len(steps) and steps[details["step"]].channel:
            channels[steps[details["step"]].channel] = None
    for user_id, contacts in contacts_by_user.items():
        if (person := store.get_user(user_id)) is not None:
            pages += _user_pages(person, contacts, intro, key_prefix)
    for channel in channels:
        pages.append(
            Page(
                key=f"{key_prefix}#{key_part(channel)}",
                channel=channel,
                label=channel_label(channel),
                actions=REMINDER_ACTIONS,
                intro=intro,
                timeline_kind=timeline.ACK_REMINDER_SENT,
                details={"channel": channel_label(channel)},
            )
        )
    return pages


def _user_pages(user: User, contacts: set[str], intro: str, key_prefix: str) -> list[Page]:
    return [
        Page(
            key=f"{key_prefix}#{user.id}#{contact}",
            channel=user.contacts[contact],
            label=f"{user.username} via {contact}",
            user_id=user.id,
            actions=REMINDER_ACTIONS,
            intro=intro,
            timeline_kind=timeline.ACK_REMINDER_SENT,
            details={"user_id": user.id, "contact": contact},
        )
        for contact in sorted(contacts)
        if contact in user.contacts
    ]
