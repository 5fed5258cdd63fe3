"""An alert group and its alerts as the API shows them (OnCall public API v1 field names). Here, with the
groups, because an outgoing webhook's payload carries the group in the same shape (webhooks.delivery): the
API's /alert_groups and /alerts and the webhooks build it with these models, and the OpenAPI document
describes it with them."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field

from oncall.configuration.requests import LabelName
from oncall.models import Alert, AlertGroup
from oncall.platform.bodies import ResponseBody
from oncall.platform.clock import api_time
from oncall.templates.labels import present_labels

# Payloads are shown as stored, unless they cannot be: nested deeper than the response serializer goes (pydantic
# stops at ~250 levels, and the response wraps the payload in a few more), or too large for the page (Lambda
# answers at most 6 MB). Such an alert is shown with a marker saying why instead of its payload, so that one
# stored alert never makes a list fail for everyone. Ingest's own nesting bound is below this one.
MAX_PRESENTED_DEPTH = 128
PAGE_PAYLOAD_BYTES = 4 * 1024 * 1024
UNAVAILABLE = "oncall_payload_unavailable"


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether `value` nests containers more than `limit` deep (iterative: no recursion to exhaust)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class PayloadBudget:
    """How many bytes of payloads one response may still carry."""

    def __init__(self, total: int = PAGE_PAYLOAD_BYTES) -> None:
        self.left = total


def presentable_payload(alert: Alert, budget: PayloadBudget | None = None) -> dict[str, Any]:
    """The alert's payload, or a marker saying why it cannot be shown here."""
    payload = alert.payload
    if nested_deeper_than(payload, MAX_PRESENTED_DEPTH):
        return {UNAVAILABLE: f"nested deeper than {MAX_PRESENTED_DEPTH} levels; it cannot be shown"}
    if budget is not None:
        try:
            size = len(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
        except (ValueError, TypeError, RecursionError):
            return {UNAVAILABLE: "not representable as JSON"}
        if size > budget.left:
            alone = f"GET /api/v1/alerts/?id={alert.id}"
            return {UNAVAILABLE: f"{size} bytes: too large for this page; read it alone with {alone}"}
        budget.left -= size
    return payload


class LabelPartOut(ResponseBody, echoed_by=(LabelName,)):
    id: str
    name: str


class LabelOut(ResponseBody):
    key: LabelPartOut
    value: LabelPartOut


class AlertOut(ResponseBody):
    id: str = Field(description="A…")
    alert_group_id: str | None
    created_at: str
    payload: dict[str, Any]


class PermalinksOut(ResponseBody):
    slack: str | None
    slack_app: str | None
    telegram: str | None
    web: str


class AlertGroupOut(ResponseBody):
    id: str = Field(description="I…")
    integration_id: str
    team_id: str | None
    route_id: str | None
    alerts_count: int
    state: Literal["firing", "acknowledged", "resolved", "silenced"]
    created_at: str
    resolved_at: str | None
    resolved_by: str | None
    acknowledged_at: str | None
    acknowledged_by: str | None
    labels: list[LabelOut]
    title: str
    permalinks: PermalinksOut
    silenced_at: str | None
    silenced_until: str | None
    root_alert_group_id: str | None
    last_alert: AlertOut | None


def present_alert(alert: Alert, budget: PayloadBudget | None = None) -> dict[str, Any]:
    return AlertOut.build(
        id=alert.id,
        alert_group_id=alert.group_id,
        created_at=api_time(alert.received_at),
        payload=presentable_payload(alert, budget),
    )


def present_alert_group(
    group: AlertGroup,
    last_alert: Alert | None,
    base_url: str,
    *,
    team_id: str | None = None,
    budget: PayloadBudget | None = None,
) -> dict[str, Any]:
    """`team_id` is the integration's team (the group's team in OnCall)."""
    return AlertGroupOut.build(
        id=group.id,
        integration_id=group.integration_id,
        team_id=team_id,
        route_id=group.route_id,
        alerts_count=group.alerts_count,
        state=group.state.value,
        created_at=api_time(group.started_at),
        resolved_at=api_time(group.resolved_at),
        resolved_by=group.resolved_by_actor.user_id if group.resolved_by_actor else None,
        acknowledged_at=api_time(group.acknowledged_at),
        acknowledged_by=group.acknowledged_by.user_id if group.acknowledged_by else None,
        labels=present_labels(group.labels),  # LabelOut bodies (templates.labels writes that shape)
        title=group.title,
        permalinks=PermalinksOut.build(
            slack=None,
            slack_app=None,
            telegram=None,
            web=f"{base_url}/console/alert_groups/{group.id}",  # the console's group page
        ),
        silenced_at=api_time(group.silenced_at),
        silenced_until=api_time(group.silenced_until),
        root_alert_group_id=group.root_group_id,
        last_alert=present_alert(last_alert, budget) if last_alert else None,
    )
