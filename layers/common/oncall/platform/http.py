"""HTTP plumbing shared by the `ingest` and `api` handlers: JSON responses, the one error map from domain
exceptions to HTTP statuses, and `Router`, a small resolver for HTTP API v2 events.

`ingest` answers with `Router` rather than Powertools' event handler: it has six routes and no request models,
and importing Powertools' event handler (its OpenAPI machinery, AppSync resolvers, asyncio) cost its cold
start ~30 ms. `api` keeps Powertools' resolver (validation, middlewares, routers); it is built in
`oncall.api`, so nothing here imports the event handler until an api function asks for a response object.
Routes of both match with or without a trailing slash (OnCall URLs end in "/", and Alertmanager users copy
them both ways), and repeated slashes in a path count as one (`merge_slashes`)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from oncall.platform import errors
from oncall.platform.aws import AWS_ERRORS

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
    from aws_lambda_powertools.event_handler.exceptions import NotFoundError as RouteNotFoundError

ERROR_STATUS: dict[type[errors.OnCallError], HTTPStatus] = {
    errors.ValidationError: HTTPStatus.BAD_REQUEST,
    errors.IntegrationTypeMismatchError: HTTPStatus.BAD_REQUEST,
    errors.AuthenticationError: HTTPStatus.UNAUTHORIZED,
    errors.PermissionDeniedError: HTTPStatus.FORBIDDEN,
    errors.IntegrationTokenError: HTTPStatus.FORBIDDEN,
    errors.ActionLinkError: HTTPStatus.FORBIDDEN,
    errors.NotFoundError: HTTPStatus.NOT_FOUND,
    errors.TokenTakenError: HTTPStatus.CONFLICT,
    errors.UnsupportedMethodError: HTTPStatus.METHOD_NOT_ALLOWED,
    errors.PayloadTooLargeError: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    errors.RateLimitedError: HTTPStatus.TOO_MANY_REQUESTS,
    errors.StorageUnavailableError: HTTPStatus.SERVICE_UNAVAILABLE,
    errors.ServiceUnavailableError: HTTPStatus.SERVICE_UNAVAILABLE,
    errors.UpstreamError: HTTPStatus.BAD_GATEWAY,
}

# An AWS call failed outside the places that expect it (a throttled lookup, a timeout): the caller retries a
# 503 (senders do), where an unhandled error would be a bare 500 with a stack trace.
_UNAVAILABLE = errors.UNAVAILABLE_DETAIL  # the same body as a ServiceUnavailableError
_NOT_UTF8 = "The request body is not valid UTF-8."
_NOT_BASE64 = "The request body is marked base64 but is not valid base64."


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A Powertools response (the api's routers)."""
    # Powertools' event handler is the api's: ingest imports this module but routes with `Router`.
    from aws_lambda_powertools.event_handler import Response, content_types

    return Response(
        status_code=int(status),
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body, ensure_ascii=False),
        headers=headers,
    )


def no_content() -> Response:
    from aws_lambda_powertools.event_handler import Response, content_types  # the api's only, as json_response

    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body="")


def status_for(error: errors.OnCallError) -> HTTPStatus:
    for cls in type(error).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    raise TypeError(f"{type(error).__name__} has no HTTP status in ERROR_STATUS")


def error_body(error: errors.OnCallError) -> dict[str, Any]:
    return {"detail": error.detail, **error.extra_body()}


def _log_error(logger: Logger, error: errors.OnCallError, status: HTTPStatus) -> None:
    if status == HTTPStatus.BAD_GATEWAY:
        logger.warning("upstream failed", extra={"status": int(status), "detail": error.detail})
    elif status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        logger.exception("request failed on AWS", extra={"status": int(status)})


def register_error_map(app: APIGatewayHttpResolver, logger: Logger) -> None:
    """The error map on a Powertools resolver (the api)."""

    @app.exception_handler(errors.OnCallError)
    def _domain_error(error: errors.OnCallError) -> Response:
        status = status_for(error)
        _log_error(logger, error, status)
        return json_response(status, error_body(error), headers=error.headers() or None)

    @app.exception_handler(list(AWS_ERRORS))
    def _aws_unavailable(error: Exception) -> Response:
        logger.exception("request failed on AWS", extra={"status": int(HTTPStatus.SERVICE_UNAVAILABLE)})
        return json_response(HTTPStatus.SERVICE_UNAVAILABLE, {"detail": _UNAVAILABLE})

    @app.exception_handler(UnicodeDecodeError)
    def _not_utf8(_: UnicodeDecodeError) -> Response:
        return json_response(HTTPStatus.BAD_REQUEST, {"detail": _NOT_UTF8})

    @app.exception_handler(binascii.Error)
    def _not_base64(_: binascii.Error) -> Response:  # Powertools' decoded_body, as request_body() answers it
        return json_response(HTTPStatus.BAD_REQUEST, {"detail": _NOT_BASE64})

    @app.exception_handler(json.JSONDecodeError)
    def _bad_json(error: json.JSONDecodeError) -> Response:
        return json_response(HTTPStatus.BAD_REQUEST, {"detail": f"Malformed JSON body: {error.msg}."})

    @app.not_found
    def _no_route(_: Exception) -> Response:
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


# ------------------------------------------------------------------------------------------ Router (ingest)
@dataclass(frozen=True)
class HttpResponse:
    """What a `Router` route returns; `as_result()` is the HTTP API v2 Lambda result."""

    status_code: int
    body: str
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def as_result(self) -> dict[str, Any]:
        return {
            "statusCode": self.status_code,
            "headers": {"Content-Type": self.content_type, **self.headers},
            "body": self.body,
            "isBase64Encoded": False,
        }


def json_result(status: int, body: Any, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(int(status), json.dumps(body, ensure_ascii=False), headers=headers or {})


# A path parameter: one segment (the characters Powertools' resolver accepts, i.e. anything but "/").
_PARAMETER = re.compile(r"<(\w+)>")


@dataclass(frozen=True)
class _Route:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    handler: Callable[..., HttpResponse]


class Router:
    """Routes HTTP API v2 events to functions `handler(event, **path_parameters) -> HttpResponse`, first
    registered match first. Paths match with or without a trailing slash; domain errors go through
    ERROR_STATUS, malformed JSON is a 400 and an unknown route a JSON 404 (as the api's resolver answers)."""

    def __init__(self, logger: Logger) -> None:
        self._routes: list[_Route] = []
        self._logger = logger

    def route(self, rule: str, methods: tuple[str, ...]) -> Callable[[Callable[..., HttpResponse]], Any]:
        parts = _PARAMETER.split(rule.rstrip("/") or "/")  # literal, name, literal, name, …, literal
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
        pattern = re.compile(f"^{regex}/*$")

        def register(handler: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
            self._routes.append(_Route(frozenset(m.upper() for m in methods), pattern, handler))
            return handler

        return register

    def get(self, rule: str):  # noqa: ANN201 - a decorator
        return self.route(rule, ("GET",))

    def post(self, rule: str):  # noqa: ANN201 - a decorator
        return self.route(rule, ("POST",))

    def resolve(self, event: dict[str, Any]) -> dict[str, Any]:
        event = dict(merge_slashes(event))
        context = event.get("requestContext") or {}
        method = (context.get("http") or {}).get("method", "").upper()
        path = event.get("rawPath") or "/"
        stage = context.get("stage", "$default")
        if stage != "$default":  # a named stage prefixes the raw path (as Powertools strips it)
            path = path[len("/" + stage) :]
        for route in self._routes:
            matched = route.pattern.match(path)
            if matched and method in route.methods:
                return self._call(route, event, matched.groupdict()).as_result()
        return json_result(HTTPStatus.NOT_FOUND, {"detail": "Not found."}).as_result()

    def _call(self, route: _Route, event: dict[str, Any], parameters: dict[str, str]) -> HttpResponse:
        try:
            return route.handler(event, **parameters)
        except errors.OnCallError as error:
            status = status_for(error)
            _log_error(self._logger, error, status)
            return json_result(status, error_body(error), headers=error.headers() or None)
        except AWS_ERRORS:
            self._logger.exception("request failed on AWS", extra={"status": int(HTTPStatus.SERVICE_UNAVAILABLE)})
            return json_result(HTTPStatus.SERVICE_UNAVAILABLE, {"detail": _UNAVAILABLE})
        except UnicodeDecodeError:
            return json_result(HTTPStatus.BAD_REQUEST, {"detail": _NOT_UTF8})
        except json.JSONDecodeError as error:
            return json_result(HTTPStatus.BAD_REQUEST, {"detail": f"Malformed JSON body: {error.msg}."})


_REPEATED_SLASHES = re.compile(r"/{2,}")


def merge_slashes(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event with repeated slashes in its path treated as one ("/api/v1//alert_groups/" is
    "/api/v1/alert_groups/"), as nginx (merge_slashes, on by default) does in front of most OnCall installs,
    so clients written against OnCall work here too. Only the path the routers read changes."""
    raw_path = event.get("rawPath")
    if not isinstance(raw_path, str) or "//" not in raw_path:
        return event
    return {**event, "rawPath": _REPEATED_SLASHES.sub("/", raw_path)}


def request_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as error:  # ValueError: non-ASCII text
            raise errors.ValidationError("The request body is marked base64 but is not valid base64.") from error
    return body.encode("utf-8", errors="surrogatepass")


def header(event: dict[str, Any], name: str) -> str:
    """A request header (HTTP API v2 lower-cases names; be lenient for hand-built events)."""
    headers = event.get("headers") or {}
    return headers.get(name.lower()) or headers.get(name) or ""


_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?$")


def base_url(event: dict[str, Any], configured: str = "") -> str:
    """The public base URL: the configured one (PublicBaseUrl), else the API's own domain as API Gateway names
    it (`requestContext.domainName`, always https). Never the request's Host or X-Forwarded-Proto headers:
    a client chooses those, and links built here go into pages, notifications and webhooks."""
    if configured:
        return configured.rstrip("/")
    domain = str((event.get("requestContext") or {}).get("domainName") or "")
    return f"https://{domain}" if _DOMAIN.match(domain) else "https://localhost"


_FUNCTION_URL_DOMAIN = re.compile(r"^[a-z0-9]+\.lambda-url\.[a-z0-9-]+\.on\.aws$")


def reached_base_url(event: dict[str, Any], configured: str = "") -> str:
    """The base URL a request to the ingest function came in on: its Lambda function URL when it came that way
    (Lambda names the domain; the function cannot be told its own URL without a template cycle), else
    `base_url`."""
    domain = str((event.get("requestContext") or {}).get("domainName") or "")
    return f"https://{domain}" if _FUNCTION_URL_DOMAIN.match(domain) else base_url(event, configured)


def integration_base_url(api_base_url: str, ingest_base_url: str = "") -> str:
    """Where integration URLs live: the ingest function's own URL when the deployment gives it one
    (INGEST_BASE_URL, a Lambda function URL: decision 80), else the API's base. Both answer the same paths."""
    return ingest_base_url.rstrip("/") or api_base_url


def request_id(event: dict[str, Any]) -> str:
    return (event.get("requestContext") or {}).get("requestId", "")


def register_validation_errors(app: APIGatewayHttpResolver) -> None:
    """Request-model errors → 400 with a message naming each field (OnCall's field-map shape)."""
    from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError  # api only (above)

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response:
        problems = error.errors()
        malformed = next((p for p in problems if p.get("type") == "json_invalid"), None)
        if malformed is not None:  # the body is not JSON: one message, no field named after an offset
            return json_response(HTTPStatus.BAD_REQUEST, {"detail": _malformed_json(malformed)})
        fields: dict[str, list[str]] = {}
        for problem in problems:
            location = [str(part) for part in problem.get("loc", ()) if part not in ("body", "query", "path")]
            name = ".".join(location) or "body"
            fields.setdefault(name, []).append(_describe(problem))
        summary = "; ".join(f"{name}: {', '.join(messages)}" for name, messages in fields.items())
        return json_response(HTTPStatus.BAD_REQUEST, {"detail": f"Invalid request: {summary}", **fields})

    @app.exception_handler(UnicodeDecodeError)
    def _not_text(_: UnicodeDecodeError) -> Response:
        return json_response(HTTPStatus.BAD_REQUEST, {"detail": "Malformed JSON body: it is not UTF-8 text."})


def _malformed_json(problem: dict[str, Any]) -> str:
    """ "Malformed JSON body: Expecting value at character 9." (Powertools puts the offset in `loc`)."""
    reason = (problem.get("ctx") or {}).get("error") or "it is not valid JSON"
    offsets = [part for part in problem.get("loc", ()) if isinstance(part, int)]
    where = f" at character {offsets[0]}" if offsets else ""
    return f"Malformed JSON body: {reason}{where}."


def _describe(problem: dict[str, Any]) -> str:
    kind = problem.get("type", "")
    if kind == "missing":
        return "This field is required."
    if kind == "json_invalid":
        return "Malformed JSON body."
    message = problem.get("msg")
    return f"{message}." if message else f"Invalid value ({kind})."
