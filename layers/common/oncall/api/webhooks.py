"""/api/v1/webhooks: outgoing webhooks (OnCall public API v1 shapes), their delivery log, a test send and a
resend. Passwords and authorization headers read back masked."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from oncall import wiring
from oncall.api import shapes
from oncall.api.common import Page, PerPage, RevealSecrets, actor, base, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.schemas import WebhookIn, WebhookPatch, present_webhook, present_webhook_response
from oncall.platform.http import json_response, no_content
from oncall.webhooks import config as webhooks

router = Router()
_LOG_LIMIT = 1000  # attempts the responses endpoint pages through (newest first; older ones expire)


def _changed() -> None:
    """Forget this container's cached configuration. Other containers see a change within their cache
    lifetime (5 s); in the local stack, where every function shares one process, at once."""
    wiring.config().invalidate()


@router.get("/webhooks", responses=shapes.page(shapes.WebhookOut))
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


@router.post("/webhooks", responses=shapes.created(shapes.WebhookOut))
def create_webhook(body: WebhookIn):
    """An outgoing webhook (it takes effect within 5 s)."""
    webhook = webhooks.create_webhook(body, store=wiring.store(), clock=wiring.now_clock())
    _changed()
    return json_response(201, present_webhook(webhook))


@router.get("/webhooks/<webhook_id>", responses=shapes.returns(shapes.WebhookOut))
def get_webhook(webhook_id: str, reveal_secrets: RevealSecrets = False) -> dict:
    return present_webhook(webhooks.get_webhook(webhook_id, wiring.store()))


@router.put("/webhooks/<webhook_id>", responses=shapes.returns(shapes.WebhookOut))
def replace_webhook(webhook_id: str, body: WebhookIn) -> dict:
    """Replace the webhook (omitted fields take their defaults; masked secrets are kept)."""
    webhook = webhooks.update_webhook(webhook_id, body, replace=True, store=wiring.store())
    _changed()
    return present_webhook(webhook)


@router.patch("/webhooks/<webhook_id>", responses=shapes.returns(shapes.WebhookOut))
def change_webhook(webhook_id: str, body: WebhookPatch) -> dict:
    """Change the fields sent."""
    webhook = webhooks.update_webhook(webhook_id, body, replace=False, store=wiring.store())
    _changed()
    return present_webhook(webhook)


@router.delete("/webhooks/<webhook_id>", responses=shapes.deleted())
def delete_webhook(webhook_id: str):
    webhooks.delete_webhook(webhook_id, wiring.store())
    _changed()
    return no_content()


@router.get("/webhooks/<webhook_id>/responses", responses=shapes.page(shapes.WebhookResponseOut))
def list_responses(webhook_id: str, page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE) -> dict:
    """Every delivery attempt of the webhook, newest first (kept 30 days)."""
    store = wiring.store()
    webhooks.get_webhook(webhook_id, store)
    logged = store.list_webhook_responses(webhook_id, limit=_LOG_LIMIT)
    return page_of(router, [present_webhook_response(r) for r in logged], page, perpage)


@router.post("/webhooks/<webhook_id>/test", responses=shapes.returns(shapes.WebhookResponseOut))
def send_test(webhook_id: str) -> dict:
    """Send a sample event now and answer with the logged attempt."""
    sent = webhooks.send_test_event(webhook_id, actor(router), wiring.delivery_deps(base(router)))
    return present_webhook_response(sent)


@router.post(
    "/webhooks/<webhook_id>/responses/<response_id>/resend", responses=shapes.returns(shapes.WebhookResponseOut)
)
def resend(webhook_id: str, response_id: str) -> dict:
    """Deliver the event of a logged attempt again (with a new Idempotency-Key)."""
    return present_webhook_response(webhooks.resend(webhook_id, response_id, wiring.delivery_deps(base(router))))
