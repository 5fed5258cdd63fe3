"""The HTTP front door: what API Gateway (HTTP API) does for the functions. It matches the template's routes
as API Gateway does and builds the payload-format-2.0 event API Gateway would send; the function's result goes
back as HTTP. What it does not emulate is listed in docs/local-front-door.md.

It is also the local stack's only listening socket besides moto, so it defends itself: every request must
arrive whole within a deadline (slowloris), `Content-Length` must be one decimal number, chunked bodies are
decoded, a request with both `Content-Length` and `Transfer-Encoding` is refused and its connection closed
(nothing after it is parsed as a second request), and every 4xx is JSON `{"detail": "..."}` like the API's."""

from __future__ import annotations

import base64
import io
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from oncall_local.topology import HttpRoute

# Lambda's synchronous invocation payload limit (request and response): the whole event, not only the body.
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
READ_TIMEOUT_SECONDS = 10.0  # a whole request (line, headers, body) must arrive within this
WRITE_TIMEOUT_SECONDS = 10.0
_MAX_CHUNK_LINE = 1024
_MAX_TRAILERS = 32
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})  # what HTTP APIs route

# API Gateway's HTTP APIs hand the body over as text only for these media types, and base64-encode every
# other body, a missing Content-Type and application/x-www-form-urlencoded included. AWS's documentation says
# only "if the content type of the request is binary, the body is base64-encoded"; this split is the one
# observed on real HTTP APIs (payload 2.0; see docs/local-front-door.md for the source).
_TEXT_MEDIA_TYPES = frozenset({"application/json", "application/xml", "application/javascript"})
# Headers the door sets itself, as API Gateway does (a client's X-Forwarded-Proto is not believed).
_SET_BY_THE_DOOR = frozenset(
    {"content-length", "transfer-encoding", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto"}
)
_DIGITS = re.compile(r"[0-9]+")
_HEX = re.compile(rb"[0-9A-Fa-f]+")


class Invoker(Protocol):
    def invoke(self, name: str, event: dict[str, Any]) -> Any: ...


class BadRequest(Exception):
    """The request is refused before any function sees it: `status` with {"detail": detail}, connection closed."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


# ------------------------------------------------------------------------------------------- routing
def _route_kind(path: str) -> int:
    """API Gateway's precedence: a literal path, then path variables, then a greedy `{proxy+}`."""
    if path.endswith("+}"):
        return 2
    return 1 if "{" in path else 0


def _matches(pattern: str, path: str) -> dict[str, str] | None:
    """A path variable is one non-empty segment, a greedy one (last) the non-empty rest; literals are exact
    and case-sensitive. Nothing is forgiven: `/actions/abc/` is not `/actions/{token}` (as on AWS)."""
    expected, actual = pattern.split("/"), path.split("/")
    parameters: dict[str, str] = {}
    for index, want in enumerate(expected):
        if want.startswith("{") and want.endswith("+}"):
            rest = "/".join(actual[index:])
            if index != len(expected) - 1 or not rest:
                return None
            parameters[want[1:-2]] = rest
            return parameters
        if index >= len(actual):
            return None
        got = actual[index]
        if want.startswith("{") and want.endswith("}"):
            if not got:
                return None
            parameters[want[1:-1]] = got
        elif want != got:
            return None
    return parameters if len(actual) == len(expected) else None


def match_route(routes: list[HttpRoute], method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
    """The route API Gateway would pick for `method path` (a decoded path), with its path parameters: the most
    specific path first (literal, then `{name}`, then `{name+}`; among those, the one with more literal
    segments, so `/integrations/v1/{proxy+}` before the catch-all `/{proxy+}`), a route of that method before
    `ANY`."""
    method = method.upper()
    if method not in _METHODS:
        return None
    candidates = []
    for order, route in enumerate(routes):
        if route.method not in ("ANY", method):
            continue
        parameters = _matches(route.path, path)
        if parameters is not None:
            literal = sum(1 for segment in route.path.split("/") if segment and not segment.startswith("{"))
            candidates.append(((_route_kind(route.path), -literal, route.method == "ANY", order), route, parameters))
    if not candidates:
        return None
    _, route, parameters = min(candidates, key=lambda candidate: candidate[0])
    return route, parameters


# ------------------------------------------------------------------------------------------- the event
def is_text_media_type(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type.startswith("text/") or media_type in _TEXT_MEDIA_TYPES


def _header_pairs(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(name.lower(), str(value)) for name, value in items]


def normalise_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """Payload 2.0 headers: names lower-cased, repeated headers joined with commas, and the Cookie headers
    taken out into the `cookies` array (one entry per cookie)."""
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in _header_pairs(headers):
        if name == "cookie":
            cookies += [part.strip() for part in value.split(";") if part.strip()]
            continue
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined, cookies


def _query_parameters(query: str) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        parameters[key] = f"{parameters[key]},{value}" if key in parameters else value
    return parameters


def build_event(
    route: HttpRoute,
    method: str,
    raw_path: str,
    query: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    path_parameters: dict[str, str],
    source_ip: str,
) -> dict[str, Any]:
    """The payload-format-2.0 event API Gateway sends for this request (`raw_path` already percent-decoded,
    as HTTP APIs deliver it)."""
    event_headers, cookies = normalise_headers(headers)
    now = time.time()
    host = event_headers.get("host", "localhost")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = event_headers
    query_parameters = _query_parameters(query)
    if query_parameters:
        event["queryStringParameters"] = query_parameters
    event["requestContext"] = {
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0],
        "http": {
            "method": method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": event_headers.get("user-agent", ""),
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": route.route_key,
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        text = None
        if is_text_media_type(event_headers.get("content-type", "")):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None  # not text after all: handed over base64, byte for byte
        event["body"] = text if text is not None else base64.b64encode(body).decode("ascii")
        event["isBase64Encoded"] = text is None
    else:
        event["isBase64Encoded"] = False  # no body: API Gateway leaves the field out
    return event


def payload_size(event: dict[str, Any]) -> int:
    return len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


# ------------------------------------------------------------------------------------------- reading
class _DeadlineReader(io.RawIOBase):
    """The socket as the request parser reads it: every receive waits at most until the request's deadline,
    so a client that sends one byte a second cannot hold a thread for longer than the deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.deadline = float("inf")
        self.received = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request did not arrive in time")
        self._sock.settimeout(remaining)
        count = self._sock.recv_into(buffer)
        self.received += count
        return count


def _content_length(values: list[str]) -> int | None:
    if not values:
        return None
    if len(values) > 1:
        raise BadRequest(HTTPStatus.BAD_REQUEST, "More than one Content-Length header.")
    value = values[0].strip(" \t")  # optional whitespace is SP and HTAB only (str.strip takes \x0b too)
    if not _DIGITS.fullmatch(value):
        raise BadRequest(HTTPStatus.BAD_REQUEST, "Content-Length must be a non-negative decimal number.")
    return int(value)


def _read_line(rfile: io.BufferedReader, what: str) -> bytes:
    line = rfile.readline(_MAX_CHUNK_LINE + 1)
    if len(line) > _MAX_CHUNK_LINE:
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"The {what} line is too long.")
    if not line.endswith(b"\r\n"):
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"The {what} line is not terminated by CRLF.")
    return line[:-2]


def read_chunked(rfile: io.BufferedReader, limit: int) -> bytes:
    """A `Transfer-Encoding: chunked` body (RFC 9112 §7.1), decoded; at most `limit` bytes of data."""
    body = bytearray()
    while True:
        size_text = _read_line(rfile, "chunk size").split(b";", 1)[0].strip(b" \t")
        if not _HEX.fullmatch(size_text):
            raise BadRequest(HTTPStatus.BAD_REQUEST, "Malformed chunk size.")
        size = int(size_text, 16)
        if size == 0:
            break
        if len(body) + size > limit:
            raise BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, _too_large(limit))
        data = rfile.read(size)
        if len(data) < size:
            raise BadRequest(HTTPStatus.BAD_REQUEST, "The chunked body ended early.")
        body += data
        if rfile.read(2) != b"\r\n":
            raise BadRequest(HTTPStatus.BAD_REQUEST, "A chunk is not followed by CRLF.")
    for _ in range(_MAX_TRAILERS + 1):
        if _read_line(rfile, "trailer") == b"":
            return bytes(body)
    raise BadRequest(HTTPStatus.BAD_REQUEST, "Too many trailer fields.")


def _too_large(limit: int) -> str:
    return f"The request is larger than the {limit // (1024 * 1024)} MB a synchronous Lambda invocation accepts."


def read_body(request: BaseHTTPRequestHandler, limit: int = MAX_PAYLOAD_BYTES) -> bytes:
    """The request body by RFC 9112's rules, refusing what a proxy and a server could read differently."""
    lengths = request.headers.get_all("Content-Length") or []
    encodings = request.headers.get_all("Transfer-Encoding") or []
    if encodings:
        if lengths:
            raise BadRequest(HTTPStatus.BAD_REQUEST, "Content-Length and Transfer-Encoding in one request.")
        if len(encodings) > 1 or encodings[0].strip(" \t").lower() != "chunked":
            raise BadRequest(HTTPStatus.BAD_REQUEST, "Transfer-Encoding must be exactly 'chunked'.")
        if request.request_version != "HTTP/1.1":
            raise BadRequest(HTTPStatus.BAD_REQUEST, "Transfer-Encoding needs HTTP/1.1.")
        return read_chunked(request.rfile, limit)
    length = _content_length(lengths)
    if not length:
        return b""
    if length > limit:
        raise BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, _too_large(limit))
    body = request.rfile.read(length)
    if len(body) < length:
        raise BadRequest(HTTPStatus.BAD_REQUEST, "The body is shorter than its Content-Length.")
    return body


# ------------------------------------------------------------------------------------------- the server
def _json(detail: str) -> bytes:
    return json.dumps({"detail": detail}).encode()


class FrontDoor:
    def __init__(
        self,
        host: str,
        port: int,
        routes: list[HttpRoute],
        functions: Invoker,
        *,
        read_timeout: float = READ_TIMEOUT_SECONDS,
    ) -> None:
        self._routes = routes
        self._functions = functions
        self.read_timeout = read_timeout
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
            _reader: _DeadlineReader

            def setup(self) -> None:
                super().setup()
                self._reader = _DeadlineReader(self.connection)
                self.rfile = io.BufferedReader(self._reader)

            def log_message(self, *_: Any) -> None:  # the stack prints what matters itself
                return

            def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
                """The parser's own refusals (bad request line, too many headers, …) as JSON too."""
                detail = message or HTTPStatus(code).phrase
                if self.request_version == "HTTP/0.9":  # the parser's default: answer with a status line anyway
                    self.request_version = "HTTP/1.1"
                door.reply(self, int(code), [("content-type", "application/json")], _json(detail), close=True)

            def handle_expect_100(self) -> bool:
                """No "100 Continue" for a body the door would refuse for its size anyway."""
                try:
                    length = _content_length(self.headers.get_all("Content-Length") or [])
                except BadRequest:
                    length = None  # read_body answers it
                if length is not None and length > MAX_PAYLOAD_BYTES:
                    self.send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, _too_large(MAX_PAYLOAD_BYTES))
                    return False
                return super().handle_expect_100()

            def handle_one_request(self) -> None:
                self._reader.deadline = time.monotonic() + door.read_timeout
                self._reader.received = 0
                self.command, self.request_version, self.requestline = "", "HTTP/1.1", ""
                try:
                    self.raw_requestline = self.rfile.readline(65537)
                    if not self.raw_requestline:
                        self.close_connection = True
                        return
                    if len(self.raw_requestline) > 65536:
                        self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG, "The request line is too long.")
                        return
                    if not self.parse_request():
                        return
                    if self.request_version == "HTTP/0.9":
                        self.send_error(HTTPStatus.BAD_REQUEST, "HTTP/0.9 requests are not served.")
                        return
                    door.handle(self)
                    self.wfile.flush()
                except TimeoutError:
                    self.close_connection = True
                    if self._reader.received:  # an idle keep-alive connection is closed without a word
                        detail = f"The request did not arrive within {door.read_timeout:g} s."
                        try:
                            self.send_error(HTTPStatus.REQUEST_TIMEOUT, detail)
                        except OSError:
                            return
                except (ConnectionError, OSError):
                    self.close_connection = True

        return Handler

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        try:
            body = read_body(request)
        except BadRequest as refused:
            self.reply(
                request, refused.status, [("content-type", "application/json")], _json(refused.detail), close=True
            )
            return
        parts = urlsplit(request.path)
        path = unquote(parts.path)  # HTTP APIs match and deliver the decoded path
        matched = match_route(self._routes, request.command, path)
        if matched is None:
            self.reply(request, HTTPStatus.NOT_FOUND, [("content-type", "application/json")], _json("Not found."))
            return
        route, path_parameters = matched
        client_ip = request.client_address[0]
        forwarded_for = request.headers.get("X-Forwarded-For")
        headers = [(name, value) for name, value in request.headers.items() if name.lower() not in _SET_BY_THE_DOOR]
        if body:
            headers.append(("content-length", str(len(body))))  # a chunked body arrives whole, with its length
        headers += [
            ("x-forwarded-for", f"{forwarded_for}, {client_ip}" if forwarded_for else client_ip),
            ("x-forwarded-port", str(self.port)),
            ("x-forwarded-proto", "http"),
        ]
        event = build_event(route, request.command, path, parts.query, headers, body, path_parameters, client_ip)
        if payload_size(event) > MAX_PAYLOAD_BYTES:
            detail = _too_large(MAX_PAYLOAD_BYTES)
            self.reply(
                request, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, [("content-type", "application/json")], _json(detail)
            )
            return
        request_id = event["requestContext"]["requestId"]
        try:
            result = self._functions.invoke(route.function, event)
        except Exception:  # noqa: BLE001 - what API Gateway answers when the function fails
            self._server.handle_error(request.request, request.client_address)  # the traceback, on stderr
            self.reply(request, 500, [("content-type", "application/json")], _json("Internal Server Error"))
            return
        self._respond(request, result, request_id)

    def _respond(self, request: BaseHTTPRequestHandler, result: Any, request_id: str) -> None:
        extra = [("apigw-requestid", request_id)]
        if not isinstance(result, dict) or "statusCode" not in result:
            # payload 2.0 without a statusCode: API Gateway answers 200 with the result as JSON
            self.reply(request, 200, [("content-type", "application/json"), *extra], json.dumps(result).encode())
            return
        if payload_size(result) > MAX_PAYLOAD_BYTES:
            detail = "The function's response is larger than the 6 MB a synchronous Lambda invocation returns."
            self.reply(request, HTTPStatus.BAD_GATEWAY, [("content-type", "application/json"), *extra], _json(detail))
            return
        body = result.get("body") or ""
        data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        headers = [(str(k).lower(), str(v)) for k, v in (result.get("headers") or {}).items()]
        headers += [("set-cookie", str(cookie)) for cookie in result.get("cookies") or []]
        self.reply(request, int(result["statusCode"]), [*headers, *extra], data)

    @staticmethod
    def reply(
        request: BaseHTTPRequestHandler,
        status: int,
        headers: list[tuple[str, str]],
        data: bytes,
        *,
        close: bool = False,
    ) -> None:
        request.connection.settimeout(WRITE_TIMEOUT_SECONDS)  # not the read deadline, which may have passed
        request.send_response(int(status))
        for key, value in headers:
            if key not in ("content-length", "connection", "transfer-encoding"):
                request.send_header(key, value)
        request.send_header("Content-Length", str(len(data)))
        if close:
            request.send_header("Connection", "close")
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(data)
