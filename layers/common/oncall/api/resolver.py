"""The api's Powertools resolver: routes match with or without a trailing slash (OnCall URLs end in "/",
and users copy them both ways), and authentication runs before request validation."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import MiddlewareFrame

from oncall.api.common import authorize


class HttpResolver(APIGatewayHttpResolver):
    """HTTP API v2 resolver whose routes also match with a trailing slash."""

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = "^{}/*$"):
        return APIGatewayHttpResolver._compile_regex(rule.rstrip("/") or "/", base_regex)


class ApiResolver(HttpResolver):
    """Runs `authorize` (token, role, rate limit) before Powertools validates the request, so a request
    without a valid token is a 401 whatever its body, and malformed requests count against their token's
    limit. Powertools puts its request validation first in every route's middleware chain; we wrap it."""

    def __init__(self) -> None:
        super().__init__(enable_validation=True)
        validate = self._request_validation_middleware

        def authenticate_first(app, next_middleware):
            return authorize(app, MiddlewareFrame(validate, next_middleware))

        self._request_validation_middleware = authenticate_first
