"""/api/v1/webhooks: outgoing webhooks (OnCall public API v1 shapes), their delivery log, a test send and a
resend. Passwords and authorization headers read back masked."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from oncall import webhooks, wiring
from oncall.api.common import Page, PerPage, actor, base, page_of
from oncall.api_schemas import WebhookIn, WebhookPatch, present_webhook, present_webhook_response
from oncall.pagination import DEFAULT_PAGE_SIZE
from oncall.web import json_response

router = Router()
_LOG_LIMIT = 1000  # attempts the responses endpoint pages through (newest first; older ones expire)


def _changed() -> None:
    """Forget this container's cached configuration. Other containers see a change within their cache
    lifetime (5 s); in the local stack, where every function shares one process, at once."""
    wiring.config().invalidate()


@router.get("/webhooks")
def list_webhooks(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, name: str | None = None) -> dict:
    found = [w for w in wiring.store().list_webhooks() if name in (None, w.name)]
    return page_of(router, [present_webhook(w) for w in found], page, perpage, name=name)


@router.post("/webhooks")
def create_webhook(body: WebhookIn):
    webhook = webhooks.create_webhook(body, store=wiring.store(), clock=wiring.now_clock())
    _changed()
    return json_response(201, present_webhook(webhook))


@router.get("/webhooks/<webhook_id>")
def get_webhook(webhook_id: str) -> dict:
    return present_webhook(webhooks.get_webhook(webhook_id, wiring.store()))


@router.put("/webhooks/<webhook_id>")
def replace_webhook(webhook_id: str, body: WebhookIn) -> dict:
    webhook = webhooks.update_webhook(webhook_id, body, replace=True, store=wiring.store())
    _changed()
    return present_webhook(webhook)


@router.patch("/webhooks/<webhook_id>")
def change_webhook(webhook_id: str, body: WebhookPatch) -> dict:
    webhook = webhooks.update_webhook(webhook_id, body, replace=False, store=wiring.store())
    _changed()
    return present_webhook(webhook)


@router.delete("/webhooks/<webhook_id>")
def delete_webhook(webhook_id: str):
    webhooks.delete_webhook(webhook_id, wiring.store())
    _changed()
    return Response(status_code=204, content_type="application/json", body="")


@router.get("/webhooks/<webhook_id>/responses")
def list_responses(webhook_id: str, page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE) -> dict:
    store = wiring.store()
    webhooks.get_webhook(webhook_id, store)
    logged = store.list_webhook_responses(webhook_id, limit=_LOG_LIMIT)
    return page_of(router, [present_webhook_response(r) for r in logged], page, perpage)


@router.post("/webhooks/<webhook_id>/test")
def send_test(webhook_id: str) -> dict:
    sent = webhooks.send_test_event(webhook_id, actor(router), wiring.delivery_deps(base(router)))
    return present_webhook_response(sent)


@router.post("/webhooks/<webhook_id>/responses/<response_id>/resend")
def resend(webhook_id: str, response_id: str) -> dict:
    return present_webhook_response(webhooks.resend(webhook_id, response_id, wiring.delivery_deps(base(router))))
