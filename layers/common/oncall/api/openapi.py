"""The API's own description: the OpenAPI document at /api/v1/openapi.json and a Swagger UI page at
/api/v1/docs (public: they describe the API and hold no data).

Powertools generates the document from the routes (parameters, request models, and the `responses=` of
each route: its resource's response model, which also builds its bodies); `build_document` then makes it
say what the API really does: errors are 400 (not Powertools' 422) with the `Error` shape, every operation
needs the `Authorization` header, operations are tagged by resource and summarised by their handler's
docstring. docs/openapi.json is a committed copy
(`make openapi`); a test fails when they differ.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response, content_types

from oncall import VERSION
from oncall.platform.http import base_url
from oncall.platform.settings import get_settings

if TYPE_CHECKING:
    from oncall.api.resolver import HttpResolver

DOCUMENT_PATH = "/api/v1/openapi.json"
DOCS_PATH = "/api/v1/docs"
# The first path segments under /api/v1 that are this module's (the app includes every router for them).
OWN_SEGMENTS = frozenset({DOCUMENT_PATH.rsplit("/", 1)[1], DOCS_PATH.rsplit("/", 1)[1]})
SECURITY_SCHEME = "ApiToken"
_ERROR_REF = {"$ref": "#/components/schemas/Error"}

TITLE = "Serverless OnCall API"
DESCRIPTION = """Grafana OnCall's public API v1 (paths, field names, ids, pagination), plus this deployment's
extensions. Send the token in the `Authorization` header, as is (`Bearer <token>` also works). Lists are
pages: `page` (1-based) and `perpage`; the answer has `count`, `next`, `previous`, `results`, `page_size`,
`current_page_number`, `total_pages`. Trailing slashes are optional. Reads need a viewer token, changes an
editor token, tokens and settings an admin token. At most 300 requests per minute per token (429 with
`RateLimit-Reset` and `Retry-After` headers, in seconds)."""

# status -> (name in components.responses, description)
_ERRORS = {
    400: ("BadRequest", "Bad input: `detail`, and each bad field with its messages"),
    401: ("Unauthorized", "Missing or unknown token"),
    403: ("Forbidden", "The role of the token does not allow this"),
    404: ("NotFound", "No such object (or path)"),
    429: ("TooManyRequests", "Too many requests for this token in this minute"),
}
_RATE_HEADERS = {
    "RateLimit-Reset": {"description": "Seconds until the next window", "schema": {"type": "integer"}},
    "Retry-After": {"description": "Seconds until the next window", "schema": {"type": "integer"}},
}

# Swagger UI's assets ship with Powertools (so the page works without internet access).
_SWAGGER_DIR = Path(__import__("aws_lambda_powertools").__file__).parent / "event_handler/openapi/swagger_ui"
_ASSETS = {
    "swagger-ui-bundle.js": ("swagger-ui-bundle.min.js", "application/javascript; charset=utf-8"),
    "swagger-ui.css": ("swagger-ui.min.css", "text/css; charset=utf-8"),
}


def build_document(app: HttpResolver) -> dict[str, Any]:
    """The OpenAPI document of `app` (deterministic: no request-dependent parts)."""
    # Powertools' OpenAPI models (~100 ms to import) and the response shapes: only the document needs them,
    # and the api's cold start serves other paths.
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, Server

    from oncall.api.responses import Error

    raw = app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        servers=[Server(url="/", description="This deployment")],
        security_schemes={
            SECURITY_SCHEME: APIKey(
                name="Authorization", in_=APIKeyIn.header, description="An API token (as is, or `Bearer <token>`)"
            )
        },
        security=[{SECURITY_SCHEME: []}],
    )
    document = json.loads(raw)
    # Only the management API: signed action links (/actions/…) are pages for people, not part of it.
    document["paths"] = {p: ops for p, ops in document.get("paths", {}).items() if p.startswith("/api/v1/")}
    docstrings = _docstrings(app)
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            _describe(operation, path, method, docstrings.get((path, method.upper())))
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)
    schemas["Error"] = Error.model_json_schema()
    components["responses"] = {name: _error_response(status, text) for status, (name, text) in _ERRORS.items()}
    return document


def _error_response(status: int, description: str) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}
    if status == 429:
        response["headers"] = _RATE_HEADERS
    return response


def _docstrings(app: HttpResolver) -> dict[tuple[str, str], str]:
    """(OpenAPI path, method) -> the handler's docstring."""
    found = {}
    for route in [*app._static_routes, *app._dynamic_routes]:
        if route.func.__doc__:
            found[(route.openapi_path.rstrip("/") or "/", route.method)] = route.func.__doc__
    return found


def _describe(operation: dict[str, Any], path: str, method: str, docstring: str | None) -> None:
    resource = path.removeprefix("/api/v1/").split("/", 1)[0]
    operation["tags"] = [resource]
    if docstring:
        lines = [line.strip() for line in docstring.strip().splitlines()]
        summary, _, rest = "\n".join(lines).partition("\n\n")
        operation["summary"] = " ".join(summary.split())
        if rest.strip():
            operation["description"] = " ".join(rest.split())
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)
    for status, (name, _) in _ERRORS.items():
        responses.setdefault(str(status), {"$ref": f"#/components/responses/{name}"})


@cache
def _document_json(app: HttpResolver) -> str:
    return json.dumps(build_document(app), ensure_ascii=False)


def register(app: HttpResolver) -> None:
    """Serve the document and the Swagger UI page (no token needed; see common.PUBLIC_PATH)."""

    @app.get(DOCUMENT_PATH, include_in_schema=False)
    def openapi_document():
        return Response(200, content_types.APPLICATION_JSON, _document_json(app))

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui():
        base = base_url(app.current_event.raw_event, get_settings().public_base_url)
        page, headers = _swagger_page(base)
        return Response(200, "text/html; charset=utf-8", page, headers=headers)

    @app.get(f"{DOCS_PATH}/<asset>", include_in_schema=False)
    def swagger_asset(asset: str):
        if asset not in _ASSETS:
            return Response(404, content_types.APPLICATION_JSON, json.dumps({"detail": "Not found."}))
        file_name, content_type = _ASSETS[asset]
        body = (_SWAGGER_DIR / file_name).read_text(encoding="utf-8")
        return Response(200, content_type, body, headers={"Cache-Control": "public, max-age=86400"})


def _swagger_page(base: str) -> tuple[str, dict[str, str]]:
    """The page and its headers. Everything from the base URL is escaped for where it goes (HTML attributes,
    a JS string), and a strict CSP allows only our own assets and this one inline script (by its hash)."""
    attribute = html.escape(base, quote=True)
    # json.dumps makes a JS string literal; "<", ">" and "&" escaped so that nothing can close the script.
    document_url = (
        json.dumps(f"{base}{DOCUMENT_PATH}").replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )
    script = f"""
    window.ui = SwaggerUIBundle({{
      url: {document_url},
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      docExpansion: "list",
      filter: true
    }});
  """
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{html.escape(TITLE)}</title>
  <link rel="stylesheet" href="{attribute}{DOCS_PATH}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{attribute}{DOCS_PATH}/swagger-ui-bundle.js"></script>
  <script>{script}</script>
</body>
</html>
"""
    policy = "; ".join(
        (
            "default-src 'none'",
            f"script-src 'self' 'sha256-{digest}'",
            "style-src 'self' 'unsafe-inline'",  # Swagger UI sets style attributes
            "img-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )
    headers = {
        "Cache-Control": "no-cache",
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    return page, headers


def document_text(app: HttpResolver) -> str:
    """The document as committed in docs/openapi.json (sorted keys, so diffs stay small)."""
    return json.dumps(build_document(app), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
