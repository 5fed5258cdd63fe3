"""API authentication: `Authorization: <token>` (OnCall's raw-token header; `Bearer <token>` also works).
Tokens are stored as SHA-256 digests; the deployment's first admin token lives in Secrets Manager."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from oncall import ids
from oncall.errors import AuthenticationError, PermissionDeniedError
from oncall.models import ApiToken, ApiTokenRole
from oncall.store import Store

_ROLE_RANK = {ApiTokenRole.VIEWER: 0, ApiTokenRole.EDITOR: 1, ApiTokenRole.ADMIN: 2}


def _raw_token(authorization: str) -> str:
    value = authorization.strip()
    scheme, _, rest = value.partition(" ")
    return rest.strip() if scheme.lower() in ("bearer", "token") and rest else value


def authenticate(authorization: str, *, store: Store, bootstrap_token: Callable[[], str | None]) -> ApiToken:
    token = _raw_token(authorization)
    if not token:
        raise AuthenticationError("Authentication credentials were not provided.")
    digest = ids.token_digest(token)
    stored = store.get_api_token(digest)
    if stored is not None:
        return stored
    bootstrap = bootstrap_token()
    if bootstrap and hmac.compare_digest(ids.token_digest(bootstrap), digest):
        return ApiToken(
            id="bootstrap",
            name="deployment admin token",
            role=ApiTokenRole.ADMIN,
            digest=digest,
            created_at="1970-01-01T00:00:00Z",
        )
    raise AuthenticationError("Invalid token.")


def require_role(token: ApiToken, role: ApiTokenRole) -> None:
    if _ROLE_RANK[token.role] < _ROLE_RANK[role]:
        raise PermissionDeniedError("You do not have permission to perform this action.")
