"""/api/v1/webhooks: outgoing webhooks (OnCall public API v1 shapes), their delivery log, a test send and a
resend. Passwords and authorization headers read back masked."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from oncall import wiring
from oncall.api.common import Page, PerPage, RevealSecrets, actor, base, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.responses import created, deleted, paged, returns
from oncall.models import Webhook, WebhookResponse
from oncall.platform.bodies import ResponseBody
from oncall.platform.clock import api_time
from oncall.platform.http import json_response, no_content
from oncall.platform.masking import MASK, is_harmless_header, mask_url, shown_headers, shown_secret, shown_url
from oncall.webhooks import config as webhooks
from oncall.webhooks.requests import SECRET_MASK, WebhookIn, WebhookPatch

router = Router()


class WebhookOut(ResponseBody, echoed_by=(WebhookPatch, WebhookIn)):
    id: str = Field(description="WH…")
    name: str
    team: str | None
    is_webhook_enabled: bool
    is_legacy: bool
    trigger_type: str
    http_method: str
    url: str
    headers: str | None
    data: str | None
    forward_all: bool
    username: str | None
    password: str | None = Field(description="Masked")
    authorization_header: str | None = Field(description="Masked")
    trigger_template: str | None
    integration_filter: list[str]
    preset: str | None
    timeout_seconds: int
    max_retries: int


class WebhookResponseOut(ResponseBody):
    id: str
    timestamp: str
    event_id: str
    alert_group_id: str | None
    request_trigger: str
    attempt: int
    url: str | None
    request_method: str
    request_headers: dict[str, str] = Field(description="Authorization masked")
    request_data: str | None
    status_code: int | None
    content: str | None
    error: str | None
    outcome: Literal["delivered", "retrying", "failed"]
    next_attempt_in_seconds: int | None
    duration_ms: int | None


def present_webhook(webhook: Webhook) -> dict[str, Any]:
    return WebhookOut.build(
        id=webhook.id,
        name=webhook.name,
        team=webhook.team_id,
        is_webhook_enabled=webhook.is_webhook_enabled,
        is_legacy=False,
        trigger_type=webhook.trigger_type.value,
        http_method=webhook.http_method,
        # Secrets in the URL (credentials, path tokens, query values) and header values are never shown; sent
        # back unchanged, a masked value keeps what is stored (webhooks.update_webhook).
        url=shown_url(webhook.url),
        headers=shown_headers(webhook.headers),
        data=webhook.data,
        forward_all=webhook.forward_all,
        username=webhook.username,
        password=shown_secret(webhook.password, SECRET_MASK),
        authorization_header=shown_secret(webhook.authorization_header, SECRET_MASK),
        trigger_template=webhook.trigger_template,
        integration_filter=webhook.integration_filter,
        preset=webhook.preset,
        timeout_seconds=webhook.timeout_seconds,
        max_retries=webhook.max_retries,
    )


def present_webhook_response(response: WebhookResponse) -> dict[str, Any]:
    return WebhookResponseOut.build(
        id=response.id,
        timestamp=api_time(response.at),
        event_id=response.event_id,
        alert_group_id=response.group_id,
        request_trigger=response.trigger,
        attempt=response.attempt,
        # Masked again on read: attempts logged before every header value was masked at write time.
        url=mask_url(response.url) if response.url and MASK not in response.url else response.url,
        request_method=response.method,
        request_headers={
            k: v if v == SECRET_MASK or is_harmless_header(k) else SECRET_MASK
            for k, v in response.request_headers.items()
        },
        request_data=response.request_data,
        status_code=response.status_code,
        content=response.content,
        error=response.error,
        outcome=response.outcome,
        next_attempt_in_seconds=response.next_attempt_in_seconds,
        duration_ms=response.duration_ms,
    )


_LOG_LIMIT = 1000  # attempts the responses endpoint pages through (newest first; older ones expire)


def _changed() -> None:
    """Forget this container's cached configuration. Other containers see a change within their cache
    lifetime (5 s); in the local stack, where every function shares one process, at once."""
    wiring.config().invalidate()


@router.get("/webhooks", responses=paged(WebhookOut))
def list_webhooks(
    page: Page = 1,
    perpage: PerPage = DEFAULT_PAGE_SIZE,
    name: str | None = None,
    team_id: str | None = None,
    reveal_secrets: RevealSecrets = False,
) -> dict:
    """Outgoing webhooks; `name` (exact) and `team_id` filter."""
    found = [w for w in wiring.store().list_webhooks() if name in (None, w.name) and team_id in (None, w.team_id)]
    return page_of(router, [present_webhook(w) for w in found], page, perpage, name=name, team_id=team_id)


@router.post("/webhooks", responses=created(WebhookOut))
def create_webhook(body: WebhookIn):
    """An outgoing webhook (it takes effect within 5 s)."""
    webhook = webhooks.create_webhook(body, store=wiring.store(), clock=wiring.now_clock())
    _changed()
    return json_response(201, present_webhook(webhook))


@router.get("/webhooks/<webhook_id>", responses=returns(WebhookOut))
def get_webhook(webhook_id: str, reveal_secrets: RevealSecrets = False) -> dict:
    return present_webhook(webhooks.get_webhook(webhook_id, wiring.store()))


@router.put("/webhooks/<webhook_id>", responses=returns(WebhookOut))
def replace_webhook(webhook_id: str, body: WebhookIn) -> dict:
    """Replace the webhook (omitted fields take their defaults; masked secrets are kept)."""
    webhook = webhooks.update_webhook(webhook_id, body, replace=True, store=wiring.store())
    _changed()
    return present_webhook(webhook)


@router.patch("/webhooks/<webhook_id>", responses=returns(WebhookOut))
def change_webhook(webhook_id: str, body: WebhookPatch) -> dict:
    """Change the fields sent."""
    webhook = webhooks.update_webhook(webhook_id, body, replace=False, store=wiring.store())
    _changed()
    return present_webhook(webhook)


@router.delete("/webhooks/<webhook_id>", responses=deleted())
def delete_webhook(webhook_id: str):
    webhooks.delete_webhook(webhook_id, wiring.store())
    _changed()
    return no_content()


@router.get("/webhooks/<webhook_id>/responses", responses=paged(WebhookResponseOut))
def list_responses(webhook_id: str, page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE) -> dict:
    """Every delivery attempt of the webhook, newest first (kept 30 days)."""
    store = wiring.store()
    webhooks.get_webhook(webhook_id, store)
    logged = store.list_webhook_responses(webhook_id, limit=_LOG_LIMIT)
    return page_of(router, [present_webhook_response(r) for r in logged], page, perpage)


@router.post("/webhooks/<webhook_id>/test", responses=returns(WebhookResponseOut))
def send_test(webhook_id: str) -> dict:
    """Send a sample event now and answer with the logged attempt."""
    sent = webhooks.send_test_event(webhook_id, actor(router), wiring.delivery_deps(base(router)))
    return present_webhook_response(sent)


@router.post("/webhooks/<webhook_id>/responses/<response_id>/resend", responses=returns(WebhookResponseOut))
def resend(webhook_id: str, response_id: str) -> dict:
    """Deliver the event of a logged attempt again (with a new Idempotency-Key)."""
    return present_webhook_response(webhooks.resend(webhook_id, response_id, wiring.delivery_deps(base(router))))
