"""Fetching an iCal feed from the internet, and nothing else.

A schedule's feed URL is user input that our functions fetch from inside AWS, so the fetch refuses what
could reach internal services (SSRF): plain http (unless allowed), hosts that resolve to private, loopback,
link-local or otherwise non-global addresses (the metadata endpoint 169.254.169.254 included), and
redirects that lead there. The connection goes to the address that was checked (no second DNS lookup an
attacker could answer differently), with TLS verified against the host name. Size and time are capped.

This module is deliberately small and isolated: `fetch_feed` is the only entry point, so it can be swapped
for the shared SSRF guard (oncall.netguard) once that exists.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from urllib.parse import unquote, urljoin, urlsplit

_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 64 * 1024

Resolver = Callable[..., list]


class FetchError(Exception):
    """The feed could not be fetched; the message is safe to show (it never contains the URL's secrets)."""


def _vetted_address(host: str, port: int, *, allow_private: bool, resolve: Resolver) -> str:
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise FetchError(f"cannot resolve {host}: {error.strerror or error}") from error
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not allow_private and not address.is_global:
            raise FetchError(f"{host} resolves to a non-public address ({address}); refused")
        addresses.append(str(address))
    if not addresses:
        raise FetchError(f"cannot resolve {host}")
    return addresses[0]


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed, already vetted address; the certificate is checked against the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def fetch_feed(
    url: str,
    *,
    timeout: float = 5.0,
    max_bytes: int = 2 * 1024 * 1024,
    max_redirects: int = 3,
    allow_http: bool = False,
    allow_private: bool = False,
    resolve: Resolver = socket.getaddrinfo,
) -> bytes:
    """GET `url` (https only by default) and return at most `max_bytes` of body, within `timeout` seconds
    overall. Raises FetchError for anything else."""
    deadline = time.monotonic() + timeout
    for _ in range(max_redirects + 1):
        parts = urlsplit(url)
        if parts.scheme not in (("https", "http") if allow_http else ("https",)):
            raise FetchError(f"only https:// feeds are allowed, not {parts.scheme or '(none)'}://")
        try:
            host, port = parts.hostname, parts.port
        except ValueError as error:
            raise FetchError("the feed URL has an invalid port") from error
        if not host:
            raise FetchError("the feed URL has no host")
        port = port or (443 if parts.scheme == "https" else 80)
        address = _vetted_address(host, port, allow_private=allow_private, resolve=resolve)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"no answer from {host} within {timeout:g} s")
        kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
        connection = kind(host, port, address, remaining)
        headers = {"User-Agent": "serverless-oncall/ical", "Accept": "text/calendar, */*;q=0.5"}
        if parts.username is not None:
            credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            if response.status in _REDIRECTS and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location"))
                continue
            if response.status != 200:
                raise FetchError(f"{host} answered HTTP {response.status}")
            return _read_capped(response, max_bytes, deadline, host)
        except (OSError, http.client.HTTPException) as error:
            raise FetchError(f"cannot fetch from {host}: {type(error).__name__}") from error
        finally:
            connection.close()
    raise FetchError(f"more than {max_redirects} redirects")


def _read_capped(response: http.client.HTTPResponse, max_bytes: int, deadline: float, host: str) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"the feed is larger than {max_bytes} bytes")
    body = bytearray()
    while chunk := response.read(_CHUNK):
        body += chunk
        if len(body) > max_bytes:
            raise FetchError(f"the feed is larger than {max_bytes} bytes")
        if time.monotonic() > deadline:
            raise FetchError(f"{host} is too slow")
    return bytes(body)
