"""Jinja2 (autoescaped, strict undefined) over the console's pinned templates, and the static assets
(fingerprinted URLs, served by the console function itself: no CDN, nothing from another origin)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from oncall.console.markdown import safe_url, to_html

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}

# No inline script or style, nothing from another origin; forms post only to the console itself.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@cache
def static_files() -> dict[str, tuple[bytes, str]]:
    """name -> (content, short content hash), read once per container."""
    return {
        path.name: (data := path.read_bytes(), hashlib.sha256(data).hexdigest()[:12])
        for path in sorted(STATIC_DIR.iterdir())
        if path.suffix in STATIC_TYPES
    }


def static_url(name: str) -> str:
    return f"/console/static/{name}?v={static_files()[name][1]}"


def when(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def ago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return ""
    seconds = int(((now or datetime.now(UTC)) - value).total_seconds())
    if seconds < 60:
        return "just now" if seconds < 5 else f"{seconds}s ago"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return ""


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals["static_url"] = static_url
    env.filters.update(safe_url=safe_url, when=when, ago=ago, pretty_json=pretty_json, markdown=to_html)
    return env


def render(template_name: str, /, **context: Any) -> str:
    return environment().get_template(template_name).render(**context)
