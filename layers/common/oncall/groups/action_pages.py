"""What a signed action link does and shows. `GET` only shows a confirmation page whose form POSTs back (link
previews and mail scanners fetch links: they must never act); `POST` acts as the notified user (or as "a
notification link" when the notification went to a channel). Pages are tiny self-contained HTML for
browsers, one line of text for curl and JSON for scripts (api/actions.py negotiates)."""

from __future__ import annotations

from html import escape

from oncall.groups import actions
from oncall.groups.action_links import (
    ACKNOWLEDGE,
    ACKNOWLEDGE_AGAIN,
    ACTION_LABELS,
    RESOLVE,
    SILENCE_1H,
    SILENCE_1H_SECONDS,
    ActionLink,
)
from oncall.groups.actions import ActionDeps
from oncall.models import Actor, ActorKind, AlertGroup
from oncall.storage.protocols import PeopleStore

LINK_ACTOR_NAME = "a notification link"

# Headers of every page: never cached, never indexed, no referrer (the URL is the credential), no scripts.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'",
}

_DONE = {
    ACKNOWLEDGE: "Acknowledged",
    RESOLVE: "Resolved",
    SILENCE_1H: "Silenced for 1 hour",
    ACKNOWLEDGE_AGAIN: "Still acknowledged",
}


def actor_for(link: ActionLink, store: PeopleStore) -> Actor:
    if link.user_id:
        user = store.get_user(link.user_id)
        name = (user.name or user.username) if user else link.user_id
        return Actor(kind=ActorKind.USER, user_id=link.user_id, name=name)
    return Actor(kind=ActorKind.USER, name=LINK_ACTOR_NAME)


def act(link: ActionLink, deps: ActionDeps) -> AlertGroup:
    """Perform the link's action with the public API's preconditions (ConflictError when they fail)."""
    actor = actor_for(link, deps.store)
    if link.action == ACKNOWLEDGE:
        return actions.acknowledge(link.group_id, actor, deps)
    if link.action == RESOLVE:
        return actions.resolve(link.group_id, actor, deps)
    if link.action == SILENCE_1H:
        return actions.silence(link.group_id, actor, deps, SILENCE_1H_SECONDS)
    if link.action == ACKNOWLEDGE_AGAIN:
        return actions.confirm_acknowledgement(link.group_id, actor, deps)
    raise ValueError(link.action)  # verify() only returns known actions


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        "<meta name=robots content=noindex,nofollow>"
        f"<title>{escape(title)}</title><style>body{{font:16px/1.5 system-ui,sans-serif;max-width:36em;"
        "margin:3em auto;padding:0 1em}button{font:inherit;padding:.6em 1.4em;cursor:pointer}"
        ".muted{color:#666}</style></head>"
        f"<body>{body}</body></html>"
    )


def _describe(group: AlertGroup, integration_name: str) -> str:
    source = f" from {escape(integration_name)}" if integration_name else ""
    return (
        f"<p><strong>#{group.number} {escape(group.title)}</strong>{source}<br>"
        f"<span class=muted>Currently {escape(group.state.value)}; {group.alerts_count} alert(s).</span></p>"
    )


def confirmation_page(link: ActionLink, group: AlertGroup, integration_name: str, acting_as: str) -> str:
    label = ACTION_LABELS[link.action]
    return _page(
        f"{label} #{group.number}?",
        f"<h1>{escape(label)} alert group #{group.number}?</h1>"
        + _describe(group, integration_name)
        + f"<form method=post><button type=submit>{escape(label)}</button></form>"
        + f"<p class=muted>You act as {escape(acting_as)}.</p>",
    )


def done_page(link: ActionLink, group: AlertGroup, integration_name: str) -> str:
    done = _DONE[link.action]
    return _page(f"{done}: #{group.number}", f"<h1>{escape(done)} ✓</h1>" + _describe(group, integration_name))


def error_page(title: str, detail: str) -> str:
    return _page(title, f"<h1>{escape(title)}</h1><p>{escape(detail)}</p>")


# ------------------------------------------------------------------------------------------ plain text (curl)
def _summary(group: AlertGroup, integration_name: str) -> str:
    source = f" from {integration_name}" if integration_name else ""
    return f"#{group.number} {group.title}{source} (now {group.state.value})"


def confirmation_text(link: ActionLink, group: AlertGroup, integration_name: str, acting_as: str) -> str:
    return (
        f"{ACTION_LABELS[link.action]} {_summary(group, integration_name)} as {acting_as}?\n"
        "POST to this URL to do it (curl -X POST <this URL>), or open it in a browser.\n"
    )


def done_text(link: ActionLink, group: AlertGroup, integration_name: str) -> str:
    return f"{_DONE[link.action]} ✓ {_summary(group, integration_name)}\n"


def error_text(title: str, detail: str) -> str:
    return f"{title}: {detail}\n"
