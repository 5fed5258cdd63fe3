"""Presentation: turns an alert group and its alert into the text a channel shows, with the appearance
templates of the integration (OnCall's appearance context)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oncall.grouping import template_for
from oncall.models import Alert, AlertGroup, Integration
from oncall.templating import render, render_title


@dataclass(frozen=True)
class RenderedAlert:
    title: str
    message: str
    source_link: str | None


def group_link(base_url: str, group_id: str) -> str | None:
    return f"{base_url.rstrip('/')}/api/v1/alert_groups/{group_id}" if base_url else None


def render_alert(
    integration: Integration, group: AlertGroup, alert: Alert, *, surface: str, base_url: str
) -> RenderedAlert:
    """Render `surface`'s title and message (e.g. surface="web" or "sms") for this group."""
    context: dict[str, Any] = {"payload": alert.payload}
    source_template = template_for(integration, "source_link")
    source_link = render(source_template, context).text if source_template else None
    context.update(
        integration_name=integration.name,
        source_link=source_link or "",
        grafana_oncall_alert_group_id=group.number,
        grafana_oncall_incident_id=group.number,
        grafana_oncall_link=group_link(base_url, group.id) or "",
    )
    title_template = template_for(integration, f"{surface}_title")
    message_template = template_for(integration, f"{surface}_message")
    title = render_title(title_template, context).value.strip() if title_template else ""
    message = render(message_template, context).value.strip() if message_template else ""
    return RenderedAlert(
        title=title or group.title,
        message=message,
        source_link=source_link.strip() if source_link and source_link.strip() not in ("", "None") else None,
    )
