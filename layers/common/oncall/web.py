"""HTTP plumbing shared by the `ingest` and `api` handlers: a resolver that ignores trailing slashes (OnCall
URLs end in "/", and Alertmanager users copy them both ways), JSON responses, and the one error map from
domain exceptions to HTTP statuses."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError as RouteNotFoundError
from botocore.exceptions import BotoCoreError, ClientError

from oncall import errors

ERROR_STATUS: dict[type[errors.OnCallError], HTTPStatus] = {
    errors.ValidationError: HTTPStatus.BAD_REQUEST,
    errors.IntegrationTypeMismatchError: HTTPStatus.BAD_REQUEST,
    errors.AuthenticationError: HTTPStatus.UNAUTHORIZED,
    errors.PermissionDeniedError: HTTPStatus.FORBIDDEN,
    errors.IntegrationTokenError: HTTPStatus.FORBIDDEN,
    errors.ActionLinkError: HTTPStatus.FORBIDDEN,
    errors.NotFoundError: HTTPStatus.NOT_FOUND,
    errors.UnsupportedMethodError: HTTPStatus.METHOD_NOT_ALLOWED,
    errors.PayloadTooLargeError: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    errors.RateLimitedError: HTTPStatus.TOO_MANY_REQUESTS,
    errors.StorageUnavailableError: HTTPStatus.SERVICE_UNAVAILABLE,
    errors.UpstreamError: HTTPStatus.BAD_GATEWAY,
}


class HttpResolver(APIGatewayHttpResolver):
    """HTTP API v2 resolver whose routes also match with a trailing slash."""

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = "^{}/*$"):
        return APIGatewayHttpResolver._compile_regex(rule.rstrip("/") or "/", base_regex)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=int(status),
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body, ensure_ascii=False),
        headers=headers,
    )


def no_content() -> Response:
    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body="")


def status_for(error: errors.OnCallError) -> HTTPStatus:
    for cls in type(error).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    raise TypeError(f"{type(error).__name__} has no HTTP status in ERROR_STATUS")


def error_body(error: errors.OnCallError) -> dict[str, Any]:
    return {"detail": error.detail, **error.extra_body()}


def register_error_map(app: APIGatewayHttpResolver, logger: Logger) -> None:
    @app.exception_handler(errors.OnCallError)
    def _domain_error(error: errors.OnCallError) -> Response:
        status = status_for(error)
        if status == HTTPStatus.BAD_GATEWAY:
            logger.warning("upstream failed", extra={"status": int(status), "detail": error.detail})
        elif status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            logger.exception("request failed on AWS", extra={"status": int(status)})
        return json_response(status, error_body(error), headers=error.headers() or None)

    @app.exception_handler([ClientError, BotoCoreError])
    def _aws_unavailable(error: Exception) -> Response:
        # An AWS call failed outside the places that expect it (a throttled lookup, a timeout): the caller
        # retries a 503 (senders do), where an unhandled error would be a bare 500 with a stack trace.
        logger.exception("request failed on AWS", extra={"status": int(HTTPStatus.SERVICE_UNAVAILABLE)})
        return json_response(
            HTTPStatus.SERVICE_UNAVAILABLE, {"detail": "The service is temporarily unavailable; please retry."}
        )

    @app.exception_handler(UnicodeDecodeError)
    def _not_utf8(_: UnicodeDecodeError) -> Response:
        return json_response(HTTPStatus.BAD_REQUEST, {"detail": "The request body is not valid UTF-8."})

    @app.exception_handler(json.JSONDecodeError)
    def _bad_json(error: json.JSONDecodeError) -> Response:
        return json_response(HTTPStatus.BAD_REQUEST, {"detail": f"Malformed JSON body: {error.msg}."})

    @app.not_found
    def _no_route(_: RouteNotFoundError) -> Response:
        return json_response(HTTPStatus.NOT_FOUND, {"detail": "Not found."})


def allowed_methods(app: APIGatewayHttpResolver, path: str) -> list[str]:
    """The methods some route of `app` answers for `path` (Powertools keeps its routes in these two lists)."""
    routes = [*app._static_routes, *app._dynamic_routes]
    return sorted({route.method for route in routes if route.rule.match(path)})


def register_method_not_allowed(app: APIGatewayHttpResolver) -> None:
    """Unknown paths stay 404 {"detail": "Not found."}; a known path with another method is a 405 with an
    `Allow` header, as Django REST framework answers."""

    @app.not_found
    def _no_route(_: RouteNotFoundError) -> Response:
        event = app.current_event
        allowed = allowed_methods(app, event.path)
        if not allowed:
            return json_response(HTTPStatus.NOT_FOUND, {"detail": "Not found."})
        return json_response(
            HTTPStatus.METHOD_NOT_ALLOWED,
            {"detail": f'Method "{event.http_method.upper()}" not allowed.'},
            headers={"Allow": ", ".join(allowed)},
        )


def request_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        import base64
        import binascii

        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as error:  # ValueError: non-ASCII text
            raise errors.ValidationError("The request body is marked base64 but is not valid base64.") from error
    return body.encode("utf-8", errors="surrogatepass")


def header(event: dict[str, Any], name: str) -> str:
    """A request header (HTTP API v2 lower-cases names; be lenient for hand-built events)."""
    headers = event.get("headers") or {}
    return headers.get(name.lower()) or headers.get(name) or ""


def base_url(event: dict[str, Any], configured: str = "") -> str:
    """The public base URL: the configured one, else the host the request came to."""
    if configured:
        return configured.rstrip("/")
    host = (event.get("requestContext") or {}).get("domainName") or header(event, "host") or "localhost"
    scheme = header(event, "x-forwarded-proto") or "https"
    return f"{scheme}://{host}"


def register_validation_errors(app: APIGatewayHttpResolver) -> None:
    """Request-model errors → 400 with a message naming each field (OnCall's field-map shape)."""
    from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response:
        fields: dict[str, list[str]] = {}
        for problem in error.errors():
            location = [str(part) for part in problem.get("loc", ()) if part not in ("body", "query", "path")]
            name = ".".join(location) or "body"
            fields.setdefault(name, []).append(_describe(problem))
        summary = "; ".join(f"{name}: {', '.join(messages)}" for name, messages in fields.items())
        return json_response(HTTPStatus.BAD_REQUEST, {"detail": f"Invalid request: {summary}", **fields})

    @app.exception_handler(UnicodeDecodeError)
    def _not_text(_: UnicodeDecodeError) -> Response:
        return json_response(HTTPStatus.BAD_REQUEST, {"detail": "Malformed JSON body: it is not UTF-8 text."})


def _describe(problem: dict[str, Any]) -> str:
    kind = problem.get("type", "")
    if kind == "missing":
        return "This field is required."
    if kind == "json_invalid":
        return "Malformed JSON body."
    message = problem.get("msg")
    return f"{message}." if message else f"Invalid value ({kind})."
