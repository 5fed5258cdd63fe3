"""Fetching an iCal feed from the internet, and nothing else.

A schedule's feed URL is user input that our functions fetch from inside AWS, so the fetch goes through the
shared SSRF guard (oncall.platform.netguard), exactly like outgoing webhooks: https only (plain http only when
allowed), every address the host resolves to (IP literals in any notation, IPv4 inside IPv6) must be public,
cloud metadata endpoints are refused even when private addresses are allowed, the connection is pinned to
the checked address (no DNS rebinding), and every redirect hop (at most 3) is checked again, with the
credentials of the URL never sent to another host. Size and time (the whole fetch, redirects included) are
capped.

`fetch_feed` is the only entry point.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from oncall.platform.netguard import GuardedHttpClient, Resolver, TargetError, system_resolver

_HEADERS = {"User-Agent": "serverless-oncall/ical", "Accept": "text/calendar, */*;q=0.5"}
_PRIVATE_HINT = "ONCALL_ICAL_ALLOW_PRIVATE allows private feeds"


class FetchError(Exception):
    """The feed could not be fetched; the message is safe to show (it never contains the URL's secrets)."""


def fetch_feed(
    url: str,
    *,
    timeout: float = 5.0,
    max_bytes: int = 2 * 1024 * 1024,
    max_redirects: int = 3,
    allow_http: bool = False,
    allow_private: bool = False,
    resolver: Resolver = system_resolver,
) -> bytes:
    """GET `url` (https only by default) and return at most `max_bytes` of body, within `timeout` seconds
    overall. Raises FetchError for anything else."""
    client = GuardedHttpClient(
        allow_private=allow_private,
        resolver=resolver,
        max_redirects=max_redirects,
        max_body_bytes=max_bytes + 1,  # one more byte tells "too large" from "exactly the limit"
        schemes=("https", "http") if allow_http else ("https",),
        private_hint=_PRIVATE_HINT,
    )
    try:
        result = client.request("GET", url, headers=dict(_HEADERS), body=None, timeout=timeout)
    except TargetError as error:
        raise FetchError(f"cannot fetch the feed: {error}") from error
    host = _host(result.url)
    if result.status != 200:
        raise FetchError(f"{host} answered HTTP {result.status}")
    if len(result.body) > max_bytes:
        raise FetchError(f"the feed is larger than {max_bytes} bytes")
    return result.body


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or "the feed's host"
    except ValueError:
        return "the feed's host"
