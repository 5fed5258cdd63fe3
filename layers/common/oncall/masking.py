"""Showing channel and feed URLs without their secrets.

A contact URL often *is* a credential: `slack://TokenA/TokenB/TokenC`, `tgram://<bot token>/<chat>`,
`mailto://user:password@host`, a webhook URL with a token in its path or query, a private iCal address.
`mask_url` keeps what identifies the destination (scheme and host) and replaces everything that may be
secret with `****`: user-info (except a plain address on address schemes such as `ses://alice@example.com`),
a host that looks like a token, every path, query values and the fragment.

`unmask` implements the round trip of OnCall's masked webhook password: a client that sends back the masked
value it read keeps the stored secret; any other value containing the mask is refused, so a masked string
can never be stored as if it were a real URL.
"""

from __future__ import annotations

import re

MASK = "****"

# Schemes whose user-info without a password is an address (not a secret) worth showing.
_ADDRESS_SCHEMES = frozenset({"ses", "sns-sms", "outbox", "mailto", "mailtos", "sms", "tel"})
_SIMPLE_HOST = re.compile(r"^[a-z0-9_-]{1,16}$")
_PHONE = re.compile(r"^\+?[0-9]{3,15}$")
_IP_OR_DOMAIN = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+|localhost)$")


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
