"""/api/v1/tokens: API tokens (admin tokens only). A token's value is shown once, when it is created; the
store keeps only its digest. Revoking works at once: every request looks its token up."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import Field

from oncall import wiring
from oncall.access import tokens as auth
from oncall.api.common import Page, PerPage, metrics, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.responses import created, deleted, paged, returns
from oncall.models import ApiToken, ApiTokenRole
from oncall.platform.bodies import RequestBody, ResponseBody
from oncall.platform.clock import api_time
from oncall.platform.errors import NotFoundError
from oncall.platform.http import json_response, no_content

router = Router()


class TokenCreate(RequestBody):
    name: str = Field(min_length=1, max_length=100)
    role: Literal["admin", "editor", "viewer"] = Field(
        description="viewer: read; editor: read and change; admin: also tokens and settings"
    )
    user_id: str | None = Field(default=None, max_length=64, description="The person who acts with this token")


class TokenOut(ResponseBody):
    id: str = Field(description="K…")
    name: str
    role: Literal["admin", "editor", "viewer"]
    user_id: str | None
    created_at: str


class TokenCreatedOut(TokenOut, echoed_by=(TokenCreate,)):
    token: str = Field(description="The token's value: shown only in this response")


def _token_fields(token: ApiToken) -> dict[str, Any]:
    """An API token as listed: never its value nor its digest."""
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role.value,
        "user_id": token.user_id,
        "created_at": api_time(token.created_at),
    }


def present_token(token: ApiToken) -> dict[str, Any]:
    return TokenOut.build(**_token_fields(token))


@router.get("/tokens", responses=paged(TokenOut))
def list_tokens(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE):
    """The stored API tokens (never their values). The deployment admin token is not listed."""
    tokens = [present_token(t) for t in wiring.store().list_api_tokens()]
    return page_of(router, tokens, page, perpage)


@router.post("/tokens", responses=created(TokenCreatedOut))
def create_token(body: TokenCreate):
    """A new token; its value is in `token`, in this response only."""
    token, value = auth.create_token(
        body.name, ApiTokenRole(body.role), body.user_id, store=wiring.store(), clock=wiring.now_clock()
    )
    metrics.add_metric(name="ApiTokensCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, TokenCreatedOut.build(**_token_fields(token), token=value))


@router.get("/tokens/<token_id>", responses=returns(TokenOut))
def get_token(token_id: str):
    """One token (never its value)."""
    for token in wiring.store().list_api_tokens():
        if token.id == token_id:
            return present_token(token)
    raise NotFoundError()


@router.delete("/tokens/<token_id>", responses=deleted())
def revoke_token(token_id: str):
    """Revoke a token: the next request with it is a 401."""
    auth.revoke_token(token_id, store=wiring.store())
    metrics.add_metric(name="ApiTokensRevoked", unit=MetricUnit.Count, value=1)
    return no_content()
