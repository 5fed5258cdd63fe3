"""/api/v1/escalation: OnCall's direct paging (see oncall.groups.direct_paging)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit

from oncall import wiring
from oncall.api.alert_groups import get_alert_group
from oncall.api.common import actor, metrics, request_id
from oncall.api.responses import returns
from oncall.groups import direct_paging
from oncall.groups.presentation import AlertGroupOut
from oncall.groups.requests import DirectPagingRequest

router = Router()


@router.post("/escalation", responses=returns(AlertGroupOut))
def escalate(body: DirectPagingRequest) -> dict:
    """Page `users` (each `important` or not) and/or a `team`'s members: into a new alert group (`title`,
    `message`, `source_url`) or into `alert_group_id`. Answers with the group."""
    group = direct_paging.page(body, actor(router), deps=wiring.action_deps(), request_id=request_id(router))
    metrics.add_metric(name="DirectPages", unit=MetricUnit.Count, value=1)
    return get_alert_group(group.id)
