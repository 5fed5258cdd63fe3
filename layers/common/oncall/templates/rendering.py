"""Presentation: the title, message, image and source link a surface shows for an alert group, rendered with
the integration's appearance templates and OnCall's appearance context (docs/oncall-compatibility.md#templates).

Context: `payload`, `integration_name`, `source_link` (already rendered), `grafana_oncall_alert_group_id` and
`grafana_oncall_incident_id` (the group number), `grafana_oncall_link` (the group's URL); every surface but
web also gets `web_title`, `web_message`, `web_image_url` (the rendered web values, or "web_<attr> is not
set" when the web template is empty). Order: source link, title, message, image. A rendered "None" is null.

Errors: a title or message that fails to render shows the "Template Error: …"/"Template Warning: …" text in
its place; a failing source link or image URL is null (an error text is not a URL). An empty title falls back
to the group's title. SMS and phone titles are plain text (markup stripped; phone also drops quotes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from oncall.dispatch.grouping import template_for
from oncall.intake.types.base import SURFACE_ATTRIBUTES
from oncall.models import Alert, AlertGroup, Integration
from oncall.templates.engine import Rendered, render, render_title

SURFACES = tuple(SURFACE_ATTRIBUTES)
# OnCall shows the group's latest alert in chat/web and its first alert in pages, SMS, calls and push.
FIRST_ALERT_SURFACES = frozenset({"sms", "phone_call", "mobile_app", "email"})
_PLAIN_SURFACES = frozenset({"sms", "phone_call"})
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\((?:[^)]*)\)")
_SLACK_LINK = re.compile(r"<[^|>]*\|([^>]*)>")
_EMPHASIS = re.compile(r"[*`]+")


@dataclass(frozen=True)
class RenderedAlert:
    title: str
    message: str
    image_url: str | None = None
    source_link: str | None = None


def group_link(base_url: str, group_id: str) -> str | None:
    return f"{base_url.rstrip('/')}/console/alert_groups/{group_id}" if base_url else None


def alert_id_for_surface(group: AlertGroup, surface: str) -> str:
    """Which alert of the group a surface shows: the first for pages (SMS, phone, push, e-mail), the latest
    for chat and web (so a resolve payload changes what chat shows, as in OnCall)."""
    return group.first_alert_id if surface in FIRST_ALERT_SURFACES else group.last_alert_id


def appearance_context(integration: Integration, group: AlertGroup, alert: Alert, base_url: str) -> dict[str, Any]:
    """The context of appearance templates, before the source link is rendered."""
    return {
        "payload": alert.payload,
        "integration_name": integration.name,
        "source_link": None,
        "grafana_oncall_alert_group_id": group.number,
        "grafana_oncall_incident_id": group.number,
        "grafana_oncall_link": group_link(base_url, group.id),
    }


def render_alert(
    integration: Integration, group: AlertGroup, alert: Alert, *, surface: str = "web", base_url: str = ""
) -> RenderedAlert:
    """Render `surface`'s title, message and image (surface: web, slack, telegram, msteams, email,
    mobile_app, sms or phone_call) for this group and alert."""
    if surface not in SURFACE_ATTRIBUTES:
        raise ValueError(f"unknown surface {surface!r} (one of: {', '.join(SURFACES)})")
    context = appearance_context(integration, group, alert, base_url)
    source_template = template_for(integration, "source_link")
    source_link = render(source_template, context).text if source_template else None
    source_link = _null(source_link)
    context["source_link"] = source_link
    if surface != "web" and _uses_web_values(integration, surface):
        web = _render_surface(integration, "web", context)
        context.update(
            web_title=web["title"] if template_for(integration, "web_title") else "web_title is not set",
            web_message=web["message"] if template_for(integration, "web_message") else "web_message is not set",
            web_image_url=(
                web["image_url"] if template_for(integration, "web_image_url") else "web_image_url is not set"
            ),
        )
    values = _render_surface(integration, surface, context)
    title = values["title"] or group.title
    if surface in _PLAIN_SURFACES:
        title = plain_text(title, drop_quotes=surface == "phone_call") or group.title
    return RenderedAlert(
        title=title,
        message=values["message"] or "",
        source_link=source_link,
        image_url=values["image_url"],
    )


def _render_surface(integration: Integration, surface: str, context: dict[str, Any]) -> dict[str, str | None]:
    values: dict[str, str | None] = {"title": None, "message": None, "image_url": None}
    for attribute in SURFACE_ATTRIBUTES[surface]:  # title, message, image_url: OnCall's order
        template = template_for(integration, f"{surface}_{attribute}")
        if not template:
            continue
        if attribute == "title":
            values["title"] = render_title(template, context).nullable
        elif attribute == "message":
            values["message"] = render(template, context).nullable
        else:
            values["image_url"] = _url(render(template, context))
    return values


def _uses_web_values(integration: Integration, surface: str) -> bool:
    return any(
        "web_" in (template_for(integration, f"{surface}_{attribute}") or "")
        for attribute in SURFACE_ATTRIBUTES[surface]
    )


def _null(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return None if text in ("", "None") else text


def _url(rendered: Rendered) -> str | None:
    return _null(rendered.text) if rendered.ok else None


def plain_text(text: str, *, drop_quotes: bool = False) -> str:
    """Markup-free text for SMS and voice: links keep their label, emphasis marks and line breaks go."""
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _SLACK_LINK.sub(r"\1", text)
    text = _EMPHASIS.sub("", text)
    if drop_quotes:
        text = text.replace('"', "")
    return " ".join(text.split())
