"""The HTTP front door: what API Gateway (HTTP API) does for the functions. It matches the template's
routes and builds real payload-format-2.0 events; the response dict goes back as HTTP."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from oncall_cli.local.functions import FunctionHost
from oncall_cli.local.topology import HttpRoute

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded")


def match_route(routes: list[HttpRoute], method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
    """API Gateway's matching: literal segments, `{name}` (one segment), a trailing `{proxy+}` (the rest)."""
    for route in routes:
        if route.method not in ("ANY", method):
            continue
        prefix, _, tail = route.path.partition("{proxy+}")
        if "{proxy+}" in route.path and tail == "" and prefix and path.startswith(prefix) and len(path) > len(prefix):
            return route, {"proxy": path[len(prefix) :]}
        if path == route.path:
            return route, {}
        parameters = _match_segments(route.path, path)
        if parameters is not None:
            return route, parameters
    return None


def _match_segments(pattern: str, path: str) -> dict[str, str] | None:
    expected, actual = pattern.strip("/").split("/"), path.rstrip("/").strip("/").split("/")
    if "{" not in pattern or "{proxy+}" in pattern or len(expected) != len(actual):
        return None
    parameters: dict[str, str] = {}
    for want, got in zip(expected, actual, strict=True):
        if want.startswith("{") and want.endswith("}"):
            if not got:
                return None
            parameters[want[1:-1]] = got
        elif want != got:
            return None
    return parameters


def build_event(
    route: HttpRoute,
    method: str,
    raw_path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    path_parameters: dict[str, str],
    source_ip: str,
) -> dict[str, Any]:
    content_type = headers.get("content-type", "")
    is_text = not body or any(content_type.startswith(t) for t in _TEXT_TYPES)
    try:
        text = body.decode("utf-8") if is_text else None
    except UnicodeDecodeError:
        text = None
    now = time.time()
    query_parameters: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        query_parameters[key] = f"{query_parameters[key]},{value}" if key in query_parameters else value
    return {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": headers,
        "queryStringParameters": query_parameters or None,
        "pathParameters": path_parameters or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": headers.get("host", "localhost"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": text if text is not None else base64.b64encode(body).decode(),
        "isBase64Encoded": text is None,
    }


class FrontDoor:
    def __init__(self, host: str, port: int, routes: list[HttpRoute], functions: FunctionHost) -> None:
        self._routes = routes
        self._functions = functions
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="front-door", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        door = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:  # the stack prints what matters itself
                return

            def _serve(self) -> None:
                door.handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

        return Handler

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._reply(request, 413, {"content-type": "application/json"}, b'{"message":"Request Entity Too Large"}')
            return
        body = request.rfile.read(length) if length else b""
        matched = match_route(self._routes, request.command, parts.path)
        if matched is None:
            self._reply(request, 404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
            return
        route, path_parameters = matched
        headers: dict[str, str] = {}
        for name, value in request.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        headers.setdefault("x-forwarded-proto", "http")
        event = build_event(
            route, request.command, parts.path, parts.query, headers, body, path_parameters, request.client_address[0]
        )
        try:
            result = self._functions.invoke(route.function, event)
        except Exception:  # noqa: BLE001 - what API Gateway answers when the function fails
            self._reply(request, 500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}')
            raise
        self._respond(request, result)

    def _respond(self, request: BaseHTTPRequestHandler, result: Any) -> None:
        if not isinstance(result, dict) or "statusCode" not in result:
            self._reply(request, 200, {"content-type": "application/json"}, json.dumps(result).encode())
            return
        body = result.get("body") or ""
        data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        headers = {k.lower(): str(v) for k, v in (result.get("headers") or {}).items()}
        for key, values in (result.get("multiValueHeaders") or {}).items():
            headers[key.lower()] = ", ".join(str(v) for v in values)
        self._reply(request, int(result["statusCode"]), headers, data)

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, headers: dict[str, str], data: bytes) -> None:
        request.send_response(status)
        for key, value in headers.items():
            if key not in ("content-length", "connection"):
                request.send_header(key, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(data)
