"""/api/v1/tokens: API tokens (admin tokens only). A token's value is shown once, when it is created; the
store keeps only its digest. Revoking works at once: every request looks its token up."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit

from oncall import wiring
from oncall.access import tokens as auth
from oncall.api import shapes
from oncall.api.common import Page, PerPage, metrics, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.schemas import TokenCreate, present_token
from oncall.models import ApiTokenRole
from oncall.platform.errors import NotFoundError
from oncall.platform.http import json_response, no_content

router = Router()


@router.get("/tokens", responses=shapes.page(shapes.TokenOut))
def list_tokens(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE):
    """The stored API tokens (never their values). The deployment admin token is not listed."""
    tokens = [present_token(t) for t in wiring.store().list_api_tokens()]
    return page_of(router, tokens, page, perpage)


@router.post("/tokens", responses=shapes.created(shapes.TokenCreatedOut))
def create_token(body: TokenCreate):
    """A new token; its value is in `token`, in this response only."""
    token, value = auth.create_token(
        body.name, ApiTokenRole(body.role), body.user_id, store=wiring.store(), clock=wiring.now_clock()
    )
    metrics.add_metric(name="ApiTokensCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, {**present_token(token), "token": value})


@router.get("/tokens/<token_id>", responses=shapes.returns(shapes.TokenOut))
def get_token(token_id: str):
    """One token (never its value)."""
    for token in wiring.store().list_api_tokens():
        if token.id == token_id:
            return present_token(token)
    raise NotFoundError()


@router.delete("/tokens/<token_id>", responses=shapes.deleted())
def revoke_token(token_id: str):
    """Revoke a token: the next request with it is a 401."""
    auth.revoke_token(token_id, store=wiring.store())
    metrics.add_metric(name="ApiTokensRevoked", unit=MetricUnit.Count, value=1)
    return no_content()
