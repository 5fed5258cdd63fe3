"""Showing channel and feed URLs without their secrets.

A contact URL often *is* a credential: `slack://TokenA/TokenB/TokenC`, `tgram://<bot token>/<chat>`,
`mailto://user:password@host`, a webhook URL with a token in its path or query, a private iCal address.
`mask_url` keeps what identifies the destination (scheme and host) and replaces everything that may be
secret with `****`: user-info (except a plain address on address schemes such as `ses://alice@example.com`),
a host that looks like a token, every path, query values and the fragment.

`unmask` implements the round trip of OnCall's masked webhook password: a client that sends back the masked
value it read keeps the stored secret; any other value containing the mask is refused, so a masked string
can never be stored as if it were a real URL.

Webhook headers are masked value by value (`mask_headers`), except a short list of harmless headers; `origin`
says which target a URL points at (secrets are kept only for the same origin); `header_problem` says why a
header may not be sent at all (docs/SECURITY.md).

`secrets_revealed` is the one exception: within it (an admin's read with `reveal_secrets=true`, audited by the
API, for moving a deployment with `oncall export --with-secrets` / `oncall migrate`) the `shown_*` functions
return values as stored. Outside it — the default, for every role — they mask.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

MASK = "****"

# Schemes whose user-info without a password is an address (not a secret) worth showing.
_ADDRESS_SCHEMES = frozenset({"ses", "sns-sms", "outbox", "mailto", "mailtos", "sms", "tel"})
_SIMPLE_HOST = re.compile(r"^[a-z0-9_-]{1,16}$")
_PHONE = re.compile(r"^\+?[0-9]{3,15}$")
_IP_OR_DOMAIN = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+|localhost)$")


_REVEAL: ContextVar[bool] = ContextVar("oncall_reveal_secrets", default=False)


@contextmanager
def secrets_revealed() -> Iterator[None]:
    """Within this block, `shown_*` return stored values unmasked (only the API's admin read opens it)."""
    reset = _REVEAL.set(True)
    try:
        yield
    finally:
        _REVEAL.reset(reset)


def revealing() -> bool:
    return _REVEAL.get()


def shown_url(url: str) -> str:
    """A stored URL as a read shows it: masked, unless secrets are revealed."""
    return url if revealing() else mask_url(url)


def shown_headers(text: str | None) -> str | None:
    return text if revealing() else mask_headers(text)


def shown_secret(value: str | None, mask: str) -> str | None:
    """A write-only secret (webhook password, authorization header) as a read shows it."""
    if not value:
        return None
    return value if revealing() else mask


class MaskedValueError(ValueError):
    """A value that contains the mask but is not the masked form of what is stored."""


def _host_is_public(host: str) -> bool:
    return bool(_IP_OR_DOMAIN.match(host) or _PHONE.match(host) or _SIMPLE_HOST.match(host))


def mask_url(url: str) -> str:
    """`url` with user-info, tokens, path, query values and fragment replaced by `****`."""
    scheme, separator, rest = url.partition("://")
    if not separator or not scheme:
        return MASK
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    netloc, tail = rest[:cut], rest[cut:]
    userinfo, has_userinfo, hostport = netloc.rpartition("@")
    masked = f"{scheme}://"
    if has_userinfo:
        keep = ":" not in userinfo and scheme.lower() in _ADDRESS_SCHEMES and userinfo != ""
        masked += f"{userinfo if keep else MASK}@"
    if hostport.startswith("[") and "]" in hostport:
        bracket = hostport.index("]") + 1
        host, (colon, port) = hostport[:bracket], hostport[bracket:].partition(":")[1:]
    else:
        host, colon, port = hostport.partition(":")
    if host and _host_is_public(host) and (not colon or port.isdigit()):
        masked += host + (f":{port}" if colon else "")
    elif hostport:
        masked += MASK
    fragment_at = tail.find("#")
    fragment = tail[fragment_at:] if fragment_at >= 0 else ""
    tail = tail[:fragment_at] if fragment_at >= 0 else tail
    path, question, query = tail.partition("?")
    if path.strip("/"):
        masked += f"/{MASK}"
    elif path:
        masked += "/"
    if question:
        pairs = [pair.partition("=") for pair in query.split("&") if pair]
        masked += "?" + "&".join(f"{key}={MASK}" if value else key for key, _, value in pairs)
    if fragment:
        masked += f"#{MASK}"
    return masked


def is_masked(value: str) -> bool:
    return MASK in value


def unmask(value: str, stored: str | None) -> str:
    """The value to store when a client sends `value` for something currently stored as `stored`."""
    if stored is not None and value == mask_url(stored):
        return stored
    if is_masked(value):
        raise MaskedValueError(f"contains the mask {MASK!r}: send the full URL, or exactly the masked value read")
    return value


def secret_fragments(url: str) -> list[str]:
    """The pieces of `url` that may be secret (credentials, path segments, query values, a token-host),
    longest first, for scrubbing them out of third-party error messages."""
    if "://" not in url:
        return [url] if url else []
    rest = url.split("://", 1)[1]
    pieces = re.split(r"[/@:?&=#]", rest)
    return sorted({p for p in pieces if len(p) >= 4}, key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """`text` with every secret fragment of `url` replaced by the mask."""
    for fragment in secret_fragments(url):
        text = text.replace(fragment, MASK)
    return text


# ------------------------------------------------------------------------------------------ headers and origins
# Header names whose values are never secret: shown as they are. Every other header value is masked on read
# and in delivery logs (X-Vault-Token, PRIVATE-TOKEN, X-Api-Key, … whatever a user calls their credential).
HARMLESS_HEADERS = frozenset(
    {"accept", "accept-language", "content-type", "user-agent", "idempotency-key", "x-oncall-hop"}
)


def is_harmless_header(name: str) -> bool:
    return name.strip().lower() in HARMLESS_HEADERS


def mask_header_values(headers: dict[str, str]) -> dict[str, str]:
    """Every value masked, except those of the harmless headers."""
    return {k: v if is_harmless_header(k) else MASK for k, v in headers.items()}


def origin(url: str) -> str:
    """What a URL (or a URL template) points at: `scheme://host:port`. A URL whose scheme or host is not
    fixed text (a template choosing it) is its own origin, so that any change counts as a change of target."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        scheme, host, port = parts.scheme.lower(), (parts.hostname or "").rstrip("."), parts.port
    except ValueError:
        return text
    if not scheme or not host or "{" in parts.netloc or "%" in parts.netloc or "{" in scheme:
        return text
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}:{port or default or ''}"


def parse_headers(text: str | None) -> dict[str, Any] | None:
    """The headers template as a JSON object when it is one as written (values may contain template
    expressions), else None (a template whose structure is computed)."""
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def mask_headers(text: str | None) -> str | None:
    """The headers template as anyone may read it: each value masked but those of harmless headers
    (Content-Type, Accept, User-Agent, …); a template that is not a JSON object as written is masked whole."""
    if not text:
        return text
    parsed = parse_headers(text)
    if parsed is None:
        return MASK
    return json.dumps(mask_header_values({k: v if isinstance(v, str) else json.dumps(v) for k, v in parsed.items()}))


# Headers a webhook may not set: they frame the request or name the connection (a user Content-Length smuggles
# a second request; a user Host overrides the address the SSRF guard pinned), or are ours.
FORBIDDEN_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "upgrade",
        "expect",
        "x-oncall-hop",
    }
)
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 field-name
_BAD_VALUE = re.compile(r"[\r\n\x00]")


def header_problem(name: str, value: str) -> str | None:
    """Why a header (as it will be sent) is refused, or None."""
    if not _TOKEN.match(name):
        return f"'{name[:64]}' is not a valid header name"
    if name.lower() in FORBIDDEN_HEADERS:
        return f"'{name}' may not be set (it frames the request or names the connection)"
    if _BAD_VALUE.search(value):
        return f"the value of '{name}' contains a line break or NUL"
    return None
