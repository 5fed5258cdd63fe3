"""The api's Powertools resolver: routes match with or without a trailing slash (OnCall URLs end in "/",
and users copy them both ways), and authentication runs before request validation."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import MiddlewareFrame

from oncall.api.common import authorize
from oncall.platform import json_bodies
from oncall.platform.http import merge_slashes


class HttpResolver(APIGatewayHttpResolver):
    """HTTP API v2 resolver whose routes also match with a trailing slash, and where repeated slashes in a
    path count as one (web.merge_slashes)."""

    def resolve(self, event, context):
        return super().resolve(merge_slashes(event), context)

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = "^{}/*$"):
        return APIGatewayHttpResolver._compile_regex(rule.rstrip("/") or "/", base_regex)


class ApiResolver(HttpResolver):
    """Runs `authorize` (token, role, rate limit) before Powertools validates the request, so a request
    without a valid token is a 401 whatever its body, and malformed requests count against their token's
    limit. Powertools puts its request validation first in every route's middleware chain; we wrap it."""

    def __init__(self) -> None:
        # Bodies nested deeper than json_bodies.MAX_NESTING are a 400 naming the limit (not a RecursionError
        # in the parser or pydantic, i.e. a 500).
        super().__init__(enable_validation=True, json_body_deserializer=json_bodies.loads)
        validate = self._request_validation_middleware

        def authenticate_first(app, next_middleware):
            return authorize(app, MiddlewareFrame(validate, next_middleware))

        self._request_validation_middleware = authenticate_first
