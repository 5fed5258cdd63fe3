"""/actions/<token>: signed action links from notifications (no Authorization header: the signature is the
authentication). GET shows a confirmation page, only POST acts; errors are pages too. HTML when the client
accepts it (browsers), JSON when it asks for it, else a line of text (curl)."""

from __future__ import annotations

import json
from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit

from oncall import wiring
from oncall.api.common import base, metrics
from oncall.groups import action_pages
from oncall.groups.action_links import ActionLink, ActionLinks
from oncall.groups.presentation import present_alert_group
from oncall.models import AlertGroup
from oncall.platform.errors import ActionLinkError, ConflictError, NotFoundError, OnCallError
from oncall.platform.http import header, status_for

router = Router()


_TITLES = {
    HTTPStatus.FORBIDDEN: "This link does not work",
    HTTPStatus.NOT_FOUND: "Alert group not found",
    HTTPStatus.CONFLICT: "Nothing to do",
}


def _reply(status: int, html: str, text: str, json_body: dict) -> Response:
    """HTML for browsers, JSON for scripts that ask for it, one line of text for anything else (curl)."""
    accept = header(router.current_event.raw_event, "accept")
    if "text/html" in accept:
        content_type, body = "text/html; charset=utf-8", html
    elif "application/json" in accept:
        content_type, body = content_types.APPLICATION_JSON, json.dumps(json_body, ensure_ascii=False)
    else:
        content_type, body = "text/plain; charset=utf-8", text
    return Response(status_code=status, content_type=content_type, body=body, headers=action_pages.PAGE_HEADERS)


def _error(error: OnCallError) -> Response:
    status = HTTPStatus.CONFLICT if isinstance(error, ConflictError) else status_for(error)
    title = _TITLES.get(status, "Something went wrong")
    return _reply(
        status,
        action_pages.error_page(title, error.detail),
        action_pages.error_text(title, error.detail),
        {"detail": error.detail},
    )


def _links() -> ActionLinks:
    links = wiring.action_links()
    if links is None:
        raise ActionLinkError("Action links are not configured on this deployment.")
    return links


def _load(token: str) -> tuple[ActionLink, AlertGroup, str]:
    link = _links().verify(token)
    group = wiring.store().get_group(link.group_id)
    if group is None:
        raise NotFoundError("This alert group no longer exists.")
    integration = wiring.config().integration(group.integration_id)
    return link, group, integration.name if integration else ""


@router.get("/actions/<token>")
def confirm(token: str):
    try:
        link, group, integration_name = _load(token)
    except OnCallError as error:
        return _error(error)
    if "text/html" in header(router.current_event.raw_event, "accept"):
        # Browsers open the console's group page, authorized by the link alone (it offers only this action).
        return Response(
            status_code=HTTPStatus.SEE_OTHER,
            content_type="text/plain; charset=utf-8",
            body="",
            headers={**action_pages.PAGE_HEADERS, "Location": f"/console/link/{token}"},
        )
    acting_as = action_pages.actor_for(link, wiring.store()).label
    return _reply(
        HTTPStatus.OK,
        action_pages.confirmation_page(link, group, integration_name, acting_as),
        action_pages.confirmation_text(link, group, integration_name, acting_as),
        {"action": link.action, "method": "POST", "acting_as": acting_as, "alert_group": _present(group)},
    )


@router.post("/actions/<token>")
def act(token: str):
    try:
        link, _, integration_name = _load(token)
        group = action_pages.act(link, wiring.action_deps())
    except OnCallError as error:
        return _error(error)
    metrics.add_metric(name="ActionLinksUsed", unit=MetricUnit.Count, value=1)
    return _reply(
        HTTPStatus.OK,
        action_pages.done_page(link, group, integration_name),
        action_pages.done_text(link, group, integration_name),
        {"action": link.action, "done": True, "alert_group": _present(group)},
    )


def _present(group: AlertGroup) -> dict:
    return present_alert_group(group, None, base(router))
