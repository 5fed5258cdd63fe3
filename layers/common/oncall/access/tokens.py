"""API authentication: `Authorization: <token>` (OnCall's raw-token header; `Bearer <token>` also works).
Tokens are stored as SHA-256 digests and looked up on every request (nothing cached, so a revoked token
fails at once); the deployment's first admin token lives in SSM Parameter Store as a SecureString (read through a
5-minute cache)."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Protocol

from oncall.models import ApiToken, ApiTokenRole
from oncall.platform import ids
from oncall.platform.clock import Clock
from oncall.platform.errors import AuthenticationError, NotFoundError, PermissionDeniedError, ValidationError
from oncall.storage.protocols import PeopleStore, TokenStore

BOOTSTRAP_TOKEN_ID = "bootstrap"

_ROLE_RANK = {ApiTokenRole.VIEWER: 0, ApiTokenRole.EDITOR: 1, ApiTokenRole.ADMIN: 2}


class TokenUserStore(TokenStore, PeopleStore, Protocol):
    """Issuing a token checks the user it is for."""


def _raw_token(authorization: str) -> str:
    value = authorization.strip()
    scheme, _, rest = value.partition(" ")
    return rest.strip() if scheme.lower() in ("bearer", "token") and rest else value


def authenticate(authorization: str, *, store: TokenStore, bootstrap_token: Callable[[], str | None]) -> ApiToken:
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
            id=BOOTSTRAP_TOKEN_ID,
            name="deployment admin token",
            role=ApiTokenRole.ADMIN,
            digest=digest,
            created_at="1970-01-01T00:00:00Z",
        )
    raise AuthenticationError("Invalid token.")


def require_role(token: ApiToken, role: ApiTokenRole) -> None:
    if _ROLE_RANK[token.role] < _ROLE_RANK[role]:
        raise PermissionDeniedError("You do not have permission to perform this action.")


def create_token(
    name: str, role: ApiTokenRole, user_id: str | None, *, store: TokenUserStore, clock: Clock
) -> tuple[ApiToken, str]:
    """A new API token and its value. The value (256 bits from the CSPRNG) is returned only here; the store
    keeps its digest."""
    if user_id is not None and store.get_user(user_id) is None:
        message = f"User {user_id} does not exist."
        raise ValidationError(f"user_id: {message}", {"user_id": [message]})
    value = ids.api_token()
    token = ApiToken(
        id=ids.public_id(ids.PREFIX_API_TOKEN),
        name=name,
        role=role,
        digest=ids.token_digest(value),
        created_at=clock.now(),
        user_id=user_id,
    )
    store.put_api_token(token)
    return token, value


def revoke_token(token_id: str, *, store: TokenStore) -> ApiToken:
    if token_id == BOOTSTRAP_TOKEN_ID:
        message = (
            "The deployment admin token lives in SSM Parameter Store (stack output AdminTokenParameter): "
            "overwrite the parameter to replace it."
        )
        raise ValidationError(message, {"id": [message]})
    revoked = store.delete_api_token(token_id)
    if revoked is None:
        raise NotFoundError()
    return revoked
