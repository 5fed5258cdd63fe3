"""Hiding secrets in what we show or log: channel URLs carry tokens (slack://T…/B…/secret, json://user:pw@…),
so anything that prints a channel or target URL goes through `mask_url`."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_HIDDEN = "****"
_PHONE = re.compile(r"^\+?\d{6,15}$")


def _mask_token(token: str) -> str:
    return f"{token[0]}…{token[-1]}" if len(token) > 6 else _HIDDEN


def mask_url(url: str) -> str:
    """A recognisable but harmless form of a channel or target URL: the scheme always survives; a host
    name survives when it is a real host name (it contains a dot); credentials, tokens, paths and query
    values do not. `outbox://` names are not secret and stay as they are."""
    if "://" not in url:
        return _HIDDEN
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    if scheme == "outbox":
        return url
    if scheme in ("ses", "mailto", "mailtos"):
        address = rest.split("?", 1)[0].rsplit("@", 1)
        if len(address) == 2:
            local, domain = address[0].split(":", 1)[0], address[1]
            return f"{scheme}://{local[:1]}***@{domain.split('/', 1)[0]}"
        return f"{scheme}://{_HIDDEN}"
    if scheme == "sns-sms":
        number = rest.strip("/")
        return f"{scheme}://{number[:2]}******{number[-2:]}" if _PHONE.match(number) else f"{scheme}://{_HIDDEN}"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return f"{scheme}://{_HIDDEN}"
    if "." not in host:  # slack://TOKEN/…, tgram://BOT_TOKEN/…: the "host" is a secret
        return f"{scheme}://{_HIDDEN}"
    shown = host if ":" not in host else f"[{host}]"
    if parts.port:
        shown += f":{parts.port}"
    if parts.username or parts.password:
        shown = f"{_HIDDEN}@{shown}"
    path = "/" + _HIDDEN if parts.path.strip("/") else ""
    query = "?" + _HIDDEN if parts.query else ""
    return f"{scheme}://{shown}{path}{query}"


def secret_fragments(url: str) -> list[str]:
    """The pieces of `url` that may be secret (credentials, path segments, query values, a token-host),
    longest first, for scrubbing them out of third-party error messages."""
    if "://" not in url:
        return [url] if url else []
    rest = url.split("://", 1)[1]
    pieces = re.split(r"[/@:?&=#]", rest)
    return sorted({p for p in pieces if len(p) >= 4}, key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """`text` with every secret fragment of `url` replaced."""
    for fragment in secret_fragments(url):
        text = text.replace(fragment, _HIDDEN)
    return text
