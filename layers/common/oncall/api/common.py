"""What every API router shares: auth, the base URL, pagination and query-parameter types."""

from __future__ import annotations

import re
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.metrics import MetricUnit

from oncall import wiring
from oncall.access.auth_failures import source_address
from oncall.access.rate_limit import check_api_rate
from oncall.access.tokens import authenticate, require_role
from oncall.api.pagination import paginate
from oncall.models import Actor, ActorKind, ApiToken, ApiTokenRole
from oncall.platform import ids
from oncall.platform.errors import AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError
from oncall.platform.http import base_url, header, integration_base_url
from oncall.platform.masking import secrets_revealed
from oncall.platform.settings import get_settings

# Powertools Metrics instances share one buffer per namespace; the handler's log_metrics flushes it.
metrics = Metrics()
logger = Logger(child=True)

Page = Annotated[int, Query(ge=1)]
PerPage = Annotated[int, Query(ge=1, le=1000)]
# Read by `authorize` (admin tokens only, audited); declared on the reads that carry secrets so the API's
# description shows it. Handlers ignore their copy.
RevealSecrets = Annotated[
    bool,
    Query(
        description="Admin tokens only (others: 403), audited: show channel/contact/iCal URLs and webhook "
        "credentials as stored instead of masked, to move a deployment (`oncall export --with-secrets`)."
    ),
]


def _bootstrap_token() -> str | None:
    name = get_settings().admin_token_parameter
    return wiring.secret(name) if name else None


# Paths whose requests authenticate themselves (signed action links) or are public (the API's own
# description): no Authorization header, never counted against a token's rate limit.
PUBLIC_PATH = re.compile(r"^/actions/[A-Za-z0-9._-]+/?$|^/api/v1/openapi\.json/?$|^/api/v1/docs(/[A-Za-z0-9._-]+)?/?$")
# Paths outside the API (action links are public) reach this function only through the template's catch-all route:
# none is an endpoint, so they are a 404 without asking for a token.
ANY_ENDPOINT = re.compile(r"^/api/v1/")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
# Ids in paths longer than this name nothing (ours are 13-16 characters).
MAX_ID_LENGTH = 128


def required_role(method: str, path: str) -> ApiTokenRole:
    """Reads need a viewer token, writes an editor token; tokens (any method) and settings changes need an
    admin token."""
    resource = path.removeprefix("/api/v1").strip("/").split("/", 1)[0]
    read = method.upper() in _READS
    if resource == "tokens" or (resource == "settings" and not read):
        return ApiTokenRole.ADMIN
    return ApiTokenRole.VIEWER if read else ApiTokenRole.EDITOR


def authorize(app: BaseRouter, next_middleware: NextMiddleware):
    """Authentication (401), the token's role (403), then its rate limit (429) — in that order, as OnCall
    (Django REST framework) does, and before the request is validated (see `authenticate_first`)."""
    event = app.current_event
    if PUBLIC_PATH.match(event.path) or not ANY_ENDPOINT.match(event.path):
        return next_middleware(app)
    token = _authenticate(event.raw_event)
    require_role(token, required_role(event.http_method, event.path))
    check_api_rate(token.id, get_settings().api_rate_limit_per_minute, store=wiring.store(), clock=wiring.now_clock())
    if any(len(str(value)) > MAX_ID_LENGTH for value in app.context.get("_route_args", {}).values()):
        raise NotFoundError()  # no such id: never a lookup with a key DynamoDB would refuse
    app.append_context(api_token=token)
    if not _reveal_requested(event.http_method, event.query_string_parameters or {}):
        return next_middleware(app)
    if token.role != ApiTokenRole.ADMIN:
        raise PermissionDeniedError("reveal_secrets=true needs an admin token: other roles only read secrets masked.")
    # The audit event names the token and the request, never a value shown.
    logger.warning("secrets revealed", extra={"audit": "reveal_secrets", "token_id": token.id, "path": event.path})
    metrics.add_metric(name="SecretsRevealed", unit=MetricUnit.Count, value=1)
    with secrets_revealed():
        return next_middleware(app)


REVEAL_PARAMETER = "reveal_secrets"
_TRUE, _FALSE = frozenset({"true", "1"}), frozenset({"false", "0", ""})


def _reveal_requested(method: str, query: dict[str, str]) -> bool:
    """Whether the request asks for secrets in clear (`reveal_secrets=true`, reads only). Never the default."""
    value = query.get(REVEAL_PARAMETER)
    if value is None or value.strip().lower() in _FALSE:
        return False
    if value.strip().lower() not in _TRUE:
        raise ValidationError(
            f"{REVEAL_PARAMETER}: expected true or false", {REVEAL_PARAMETER: ["expected true or false"]}
        )
    if method.upper() not in _READS:
        raise ValidationError(f"{REVEAL_PARAMETER} applies to reads (GET) only")
    return True


def _authenticate(event: dict) -> ApiToken:
    """authenticate, with failures made expensive for the caller (auth_failures.py): an address over its
    failures gets 429 without a lookup, and a wrong token tried again is answered from memory."""
    guard, clock = wiring.auth_failures(), wiring.now_clock()
    address = source_address(event)
    guard.refuse_if_blocked(address, clock)
    authorization = header(event, "authorization")
    key = ids.token_digest(authorization.strip()) if authorization.strip() else ""
    try:
        if key and guard.known_bad(key):
            raise AuthenticationError("Invalid token.")
        return authenticate(authorization, store=wiring.store(), bootstrap_token=_bootstrap_token)
    except AuthenticationError:
        if key:  # a request without credentials guesses nothing: it costs no lookup and is not counted
            guard.remember_bad(key)
            guard.record_failure(address, store=wiring.store(), clock=clock)
        raise


def base(router: BaseRouter) -> str:
    return base_url(router.current_event.raw_event, get_settings().public_base_url)


def integration_base(router: BaseRouter) -> str:
    """The base of integration URLs (an integration's link and its heartbeat URL)."""
    return integration_base_url(base(router), get_settings().ingest_base_url)


def page_of(router: BaseRouter, items: list[dict[str, Any]], page: int, perpage: int, **filters: Any) -> dict:
    url = f"{base(router)}{router.current_event.path.rstrip('/')}/"
    return paginate(
        items, page=page, perpage=perpage, url=url, query={k: str(v) for k, v in filters.items() if v is not None}
    )


def request_id(router: BaseRouter) -> str:
    return router.current_event.request_context.request_id


def actor(router: BaseRouter) -> Actor:
    """Who acts through this request: the token's user, or the token itself."""
    token: ApiToken = router.context["api_token"]
    if token.user_id:
        return Actor(kind=ActorKind.USER, user_id=token.user_id, name=token.name)
    return Actor(kind=ActorKind.API, name=f"API token '{token.name}'")
