"""The console's small HTTP layer over HTTP API v2 events: requests (query, form, cookies), responses (HTML,
redirects, static files) and a router. Errors are pages, never stack traces."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from oncall.platform.errors import PayloadTooLargeError
from oncall.platform.http import base_url, header, integration_base_url, request_body

MAX_FORM_BYTES = 256 * 1024
MAX_FORM_FIELDS = 2000


@dataclass
class Request:
    event: dict[str, Any]
    method: str
    path: str
    query: dict[str, list[str]]
    base_url: str
    # Where integration URLs live (the ingest function's URL, else base_url): decision 80.
    integration_base_url: str
    _form: dict[str, list[str]] | None = None

    @classmethod
    def from_event(cls, event: dict[str, Any], configured_base_url: str = "", ingest_base_url: str = "") -> Request:
        context = event.get("requestContext") or {}
        method = ((context.get("http") or {}).get("method") or "GET").upper()
        path = event.get("rawPath") or "/"
        stage = context.get("stage", "$default")
        if stage != "$default":
            path = path[len("/" + stage) :]
        query = parse_qs(event.get("rawQueryString") or "", keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        base = base_url(event, configured_base_url)
        return cls(event, method, path, query, base, integration_base_url(base, ingest_base_url))

    @property
    def secure(self) -> bool:
        return self.base_url.startswith("https://") or header(self.event, "x-forwarded-proto") == "https"

    @property
    def client(self) -> str:
        return ((self.event.get("requestContext") or {}).get("http") or {}).get("sourceIp") or "unknown"

    def arg(self, name: str, default: str = "") -> str:
        values = self.query.get(name)
        return values[0].strip() if values else default

    @property
    def form(self) -> dict[str, list[str]]:
        if self._form is None:
            raw = request_body(self.event)
            if len(raw) > MAX_FORM_BYTES:
                raise PayloadTooLargeError("The form is too large.")
            self._form = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        return self._form

    def field(self, name: str, default: str = "") -> str:
        values = self.form.get(name)
        return values[0] if values else default

    def fields(self, name: str) -> list[str]:
        return list(self.form.get(name, []))

    def wants_json(self) -> bool:
        accept = header(self.event, "accept")
        return "application/json" in accept and "text/html" not in accept


@dataclass
class Response:
    status: int
    body: str | bytes = ""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    def as_result(self) -> dict[str, Any]:
        body = self.body
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        return {
            "statusCode": int(self.status),
            "headers": {"Content-Type": self.content_type, **self.headers},
            "body": body,
            "isBase64Encoded": False,
        }


def redirect(location: str, headers: dict[str, str] | None = None) -> Response:
    """303 See Other: after a form POST the browser GETs the page again (reloads never repeat an action)."""
    return Response(HTTPStatus.SEE_OTHER, "", "text/plain; charset=utf-8", {"Location": location, **(headers or {})})


def json_reply(body: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(body, ensure_ascii=False), "application/json", {"Cache-Control": "no-store"})


def local_path(target: str, default: str) -> str:
    """Only same-site paths are redirect targets (no open redirect through `next`)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target and "\n" not in target:
        return target
    return default


_PARAMETER = re.compile(r"<(\w+)>")
Handler = Callable[..., Response]


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class Routes:
    def __init__(self) -> None:
        self._routes: list[_Route] = []

    def add(self, method: str, rule: str) -> Callable[[Handler], Handler]:
        parts = _PARAMETER.split(rule)
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]{{1,512}})" for i, p in enumerate(parts))
        pattern = re.compile(f"^{regex}/?$")

        def register(handler: Handler) -> Handler:
            self._routes.append(_Route(method, pattern, handler))
            return handler

        return register

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None | bool:
        """(handler, parameters); False when the path exists for another method; None when it does not."""
        other_method = False
        for route in self._routes:
            found = route.pattern.match(path)
            if found:
                if route.method == method or (method == "HEAD" and route.method == "GET"):
                    return route.handler, found.groupdict()
                other_method = True
        return False if other_method else None
