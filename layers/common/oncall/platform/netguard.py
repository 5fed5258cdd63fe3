"""SSRF guard and the one HTTP client for requests whose target a user chose (outgoing webhooks, test sends).

A target URL is checked before every connection: http/https only; the host is resolved (or parsed, for IP
literals in any notation `inet_aton` accepts: 2130706433, 0x7f.1, 017700000001, …) and *every* address it
resolves to must be public. Cloud metadata endpoints are refused always; loopback, private, link-local and
shared addresses are refused unless `allow_private` (the `ONCALL_ALLOW_PRIVATE_TARGETS` setting: on in the
local stack, off in a deployed stack); multicast, reserved and unspecified addresses are refused always.

The connection is pinned to the address that was checked (we connect to that IP and send the original host
name as Host header and TLS SNI, verifying the certificate against it), so DNS cannot answer "public" to the
check and "private" to the connect. Redirects are followed by hand, up to `max_redirects`, and every hop is
checked again the same way. `timeout` bounds the whole request, redirects and body included (a target that
trickles its answer is cut off). The iCal fetcher uses the same client (https only).

Clients we do not control (Apprise, for channel URLs) run inside `guarded_resolution()`: every name this
thread resolves while it is active — redirect targets, SMTP servers, IP literals, all of them — is checked
the same way at the moment the connection is made, so neither a redirect nor a rebinding DNS answer can
lead them to a private or metadata address.
"""

from __future__ import annotations

import contextvars
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

IPAddress = IPv4Address | IPv6Address
Resolver = Callable[[str], list[str]]

# Instance metadata and credential endpoints of the clouds we may run next to. Never a webhook target.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ip_address(a)
    for a in (
        "169.254.169.254",  # AWS/GCP/Azure/OpenStack instance metadata (IMDS)
        "169.254.169.253",  # Amazon VPC DNS
        "169.254.170.2",  # ECS task credentials
        "169.254.170.23",  # EKS Pod Identity agent
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # EKS Pod Identity agent over IPv6
        "100.100.100.200",  # Alibaba Cloud metadata
        "192.0.0.192",  # Oracle Cloud metadata
    )
)
_NAT64 = IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = IPv6Network("::/96")
# Hosts that are numbers in some notation (decimal, octal, hex, dotted or not): inet_aton decides.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)
_REDIRECTS = (301, 302, 303, 307, 308)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PRIVATE_REASONS = frozenset(
    {"a loopback address", "a link-local address", "a private address", "a non-public address"}
)
_WEB_SCHEMES = ("http", "https")
PRIVATE_HINT = "ONCALL_ALLOW_PRIVATE_TARGETS allows private targets"
_CHUNK = 64 * 1024
# Headers that may follow a redirect to another origin: they describe the request, never a credential.
_CROSS_ORIGIN_HEADERS = frozenset({"accept", "user-agent", "content-type", "idempotency-key", "x-oncall-hop"})


class TargetError(Exception):
    """A request could not be made. `retryable` says whether trying again later may help. Messages never
    contain credentials."""

    retryable = False


class BlockedTargetError(TargetError):
    """The URL is not allowed (scheme, private address, metadata endpoint, …)."""


class TransportError(TargetError):
    """Timeouts, refused connections, resets, DNS failures: worth retrying."""

    retryable = True


class TlsError(TargetError):
    """Certificate or TLS failures: not retried (they do not fix themselves)."""


def system_resolver(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def literal_address(host: str) -> IPAddress | None:
    """The address `host` denotes if it is an IP literal in any notation, else None (a DNS name)."""
    bare = host.strip("[]")
    try:
        return ip_address(bare)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(bare):
        try:
            return IPv4Address(socket.inet_aton(bare))
        except OSError as error:
            raise BlockedTargetError(f"'{host}' is not a valid address") from error
    return None


def _embedded_ipv4(address: IPAddress) -> list[IPAddress]:
    if not isinstance(address, IPv6Address):
        return []
    found: list[IPAddress] = []
    if address.ipv4_mapped:
        found.append(address.ipv4_mapped)
    if address.sixtofour:
        found.append(address.sixtofour)
    if address.teredo:
        found.extend(address.teredo)
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        found.append(IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why `address` may not be a target, or None if it may. An IPv6 address that carries an IPv4 one
    (mapped, NAT64, 6to4, Teredo) is judged by the IPv4 address it reaches."""
    embedded = _embedded_ipv4(address)
    if any(candidate in METADATA_ADDRESSES for candidate in (address, *embedded)):
        return "a cloud metadata address"
    for candidate in embedded or [address]:
        if candidate.is_unspecified:
            return "an unspecified address"
        if candidate.is_multicast:
            return "a multicast address"
        if candidate.is_loopback:
            if allow_private:
                continue
            return "a loopback address"
        if candidate.is_reserved:
            return "a reserved address"
        if allow_private:
            continue
        if candidate.is_link_local:
            return "a link-local address"
        if isinstance(candidate, IPv6Address) and candidate.is_site_local:
            return "a private address"  # fec0::/10: deprecated, still routed inside some networks
        if candidate.is_private:
            return "a private address"
        if not candidate.is_global:
            return "a non-public address"
    return None


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`address`) and what to call it (`host`)."""

    url: str
    scheme: str
    host: str
    port: int
    address: str
    path: str
    username: str | None = None
    password: str | None = None

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == _DEFAULT_PORTS[self.scheme] else f"{name}:{self.port}"


def check_url(
    url: str,
    *,
    allow_private: bool,
    resolver: Resolver = system_resolver,
    schemes: tuple[str, ...] = _WEB_SCHEMES,
    private_hint: str = PRIVATE_HINT,
) -> Target:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise BlockedTargetError(f"invalid URL: {error}") from error
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or scheme not in schemes:
        raise BlockedTargetError(f"only {' and '.join(s + '://' for s in schemes)} targets are allowed")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise BlockedTargetError("the URL has no host")
    if "%" in host:
        raise BlockedTargetError("IPv6 zone identifiers are not allowed")
    literal = literal_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = [ip_address(a.split("%", 1)[0]) for a in resolver(host)]
        except (OSError, UnicodeError) as error:
            raise TransportError(f"cannot resolve {host}") from error
        if not addresses:
            raise TransportError(f"cannot resolve {host}")
    for address in addresses:  # every answer: a name with one private record is refused
        reason = refusal(address, allow_private=allow_private)
        if reason:
            where = host if literal is not None else f"{host} (resolves to {address})"
            hint = f" ({private_hint})" if reason in _PRIVATE_REASONS and private_hint else ""
            raise BlockedTargetError(f"{where} is {reason}{hint}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(
        url=url,
        scheme=scheme,
        host=host,
        port=port or _DEFAULT_PORTS[scheme],
        address=str(addresses[0]),
        path=path,
        username=parts.username,
        password=parts.password,
    )


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        return scheme, (parts.hostname or "").rstrip("."), parts.port or _DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        return None


def _endpoint_address(address: str) -> str:
    """An address as compared with our own: every loopback address is one, IPv4-mapped IPv6 is its IPv4."""
    try:
        parsed = ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return address
    for candidate in (*_embedded_ipv4(parsed), parsed):
        if candidate.is_loopback:
            return "loopback"
    return str(_embedded_ipv4(parsed)[0]) if _embedded_ipv4(parsed) else str(parsed)


@dataclass(frozen=True)
class HttpResult:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str  # the final URL, after redirects
    redirects: int = 0


@dataclass
class GuardedHttpClient:
    allow_private: bool = False
    resolver: Resolver = system_resolver
    max_redirects: int = 3
    max_body_bytes: int = 1_000_000
    ssl_context: ssl.SSLContext | None = None
    # URLs on these origins (scheme + host + port) are refused too: our own base URL, so that a webhook
    # cannot call this deployment in a loop.
    refused_origins: tuple[str, ...] = field(default_factory=tuple)
    schemes: tuple[str, ...] = _WEB_SCHEMES  # the iCal fetcher allows https only
    private_hint: str = PRIVATE_HINT  # the setting that lets private targets through, named in refusals
    _own_cache: tuple[tuple[str, ...], tuple[frozenset[str], frozenset[tuple[str, int]]]] | None = field(
        default=None, repr=False, compare=False
    )

    def request(
        self, method: str, url: str, *, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResult:
        """`timeout` bounds the whole request: every hop, and reading every answer."""
        method = method.upper()
        headers = dict(headers)
        deadline = time.monotonic() + timeout
        for hop in range(self.max_redirects + 1):
            self._refuse_own(url)
            target = check_url(
                url,
                allow_private=self.allow_private,
                resolver=self.resolver,
                schemes=self.schemes,
                private_hint=self.private_hint,
            )
            self._refuse_own_address(target)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TransportError(f"timed out after {timeout:g} s")
            status, response_headers, content = self._send(target, method, headers, body, left)
            location = response_headers.get("location")
            if status not in _REDIRECTS or not location:
                return HttpResult(status, response_headers, content, url, hop)
            next_url = urljoin(url, location)
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, body = ("GET" if method != "HEAD" else "HEAD"), None
                headers = {k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length")}
            if _origin(next_url) != _origin(url):
                # Every configured header is for the origin it was configured for, never for where that origin
                # points us (X-Api-Key, X-Custom-Token: any header may be a credential). A scheme downgrade
                # (https -> http on the same host) is another origin too.
                headers = {k: v for k, v in headers.items() if k.lower() in _CROSS_ORIGIN_HEADERS}
            url = next_url
        raise BlockedTargetError(f"more than {self.max_redirects} redirects")

    def _read(self, response: urllib3.BaseHTTPResponse, deadline: float, timeout: float) -> bytes:
        """At most max_body_bytes, before the deadline: a target trickling its body is cut off."""
        content = bytearray()
        while len(content) < self.max_body_bytes:
            # read1: what has arrived (up to the chunk), so the deadline is checked between slow reads
            chunk = response.read1(min(_CHUNK, self.max_body_bytes - len(content)))
            if not chunk:
                break
            content += chunk
            if time.monotonic() > deadline:
                raise TransportError(f"timed out after {timeout:g} s (the answer was too slow)")
        return bytes(content)

    def _refuse_own(self, url: str) -> None:
        origin = _origin(url)
        if origin and any(origin == _origin(own) for own in self.refused_origins):
            raise BlockedTargetError("the URL points at this OnCall deployment")

    def _refuse_own_address(self, target: Target) -> None:
        """The same check by what the names mean: our own host name on any port and scheme, and the address
        and port we would connect to (127.1, localhost, [::ffff:127.0.0.1] and 127.0.0.1 are one loopback)."""
        own_hosts, own_endpoints = self._own()
        if target.host.lower() in own_hosts:
            raise BlockedTargetError("the URL points at this OnCall deployment")
        if (_endpoint_address(target.address), target.port) in own_endpoints:
            raise BlockedTargetError("the URL points at this OnCall deployment (by address)")

    def _own(self) -> tuple[frozenset[str], frozenset[tuple[str, int]]]:
        key = self.refused_origins
        if self._own_cache is not None and self._own_cache[0] == key:
            return self._own_cache[1]
        hosts: set[str] = set()
        endpoints: set[tuple[str, int]] = set()
        for own in key:
            origin = _origin(own)
            if not origin or not origin[1]:
                continue
            _scheme, host, port = origin
            literal = None
            try:
                literal = literal_address(host)
            except BlockedTargetError:
                continue
            if literal is None and host.lower() != "localhost":
                hosts.add(host.lower())  # a DNS name of ours: refused on every port
            try:
                addresses = [str(literal)] if literal is not None else self.resolver(host)
            except (OSError, UnicodeError):
                addresses = []
            endpoints |= {(_endpoint_address(a), port) for a in addresses}
        self._own_cache = (key, (frozenset(hosts), frozenset(endpoints)))
        return self._own_cache[1]

    def _send(
        self, target: Target, method: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> tuple[int, dict[str, str], bytes]:
        request_headers = {"Host": target.host_header, **headers}
        if target.username is not None and not any(k.lower() == "authorization" for k in headers):
            request_headers.update(urllib3.make_headers(basic_auth=f"{target.username}:{target.password or ''}"))
        limits = urllib3.Timeout(total=timeout, connect=min(timeout, 5.0))
        if target.scheme == "https":
            pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
                target.address,
                target.port,
                timeout=limits,
                retries=False,
                maxsize=1,
                server_hostname=target.host,
                assert_hostname=target.host,
                cert_reqs="CERT_REQUIRED",
                ssl_context=self.ssl_context or ssl.create_default_context(),
            )
        else:
            pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=limits, retries=False, maxsize=1)
        try:
            response = pool.urlopen(
                method,
                target.path,
                body=body,
                headers=request_headers,
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
            try:
                content = self._read(response, time.monotonic() + timeout, timeout)
            finally:
                response.release_conn()
            return response.status, {k.lower(): v for k, v in response.headers.items()}, content
        except NewConnectionError as error:  # (a subclass of ConnectTimeoutError in urllib3 2)
            raise TransportError(f"cannot connect to {target.host}:{target.port}") from error
        except (ConnectTimeoutError, ReadTimeoutError) as error:
            raise TransportError(f"timed out after {timeout:g} s") from error
        except SSLError as error:
            raise TlsError(f"TLS error talking to {target.host}") from error
        except LocationParseError as error:
            raise BlockedTargetError("invalid URL") from error
        except (ProtocolError, HTTPError) as error:
            raise TransportError(f"connection to {target.host} failed ({type(error).__name__})") from error
        finally:
            pool.close()


# ------------------------------------------------------------------------------------------ other clients
# A context variable, not a thread-local: Apprise runs a notification with a deadline in a worker thread, and
# submits it with a copy of the caller's context.
_guard: contextvars.ContextVar[ResolutionGuard | None] = contextvars.ContextVar("resolution_guard", default=None)


@dataclass
class ResolutionGuard:
    allow_private: bool
    refused: list[str] = field(default_factory=list)


def _guarding(getaddrinfo: Callable[..., list]) -> Callable[..., list]:
    def guarded(host: Any, *args: Any, **kwargs: Any) -> list:
        infos = getaddrinfo(host, *args, **kwargs)
        policy = _guard.get()
        if policy is not None:
            for info in infos:
                address = ip_address(str(info[4][0]).split("%", 1)[0])
                reason = refusal(address, allow_private=policy.allow_private)
                if reason:
                    name = host.decode() if isinstance(host, bytes) else str(host)
                    shown = name if name == str(address) else f"{name} (resolves to {address})"
                    policy.refused.append(f"{shown} is {reason}")
                    raise socket.gaierror(socket.EAI_FAIL, f"{shown} is {reason}: refused by the SSRF guard")
        return infos

    guarded.oncall_guard = True  # type: ignore[attr-defined]
    return guarded


@contextmanager
def guarded_resolution(*, allow_private: bool) -> Iterator[ResolutionGuard]:
    """While active, every address this thread resolves is checked like a webhook target at the moment a
    connection is made (redirects and rebinding included); a refused one fails that lookup. What was refused
    is in the yielded guard's `refused`. For third-party clients that connect by themselves (Apprise)."""
    if not getattr(socket.getaddrinfo, "oncall_guard", False):
        socket.getaddrinfo = _guarding(socket.getaddrinfo)
    guard = ResolutionGuard(allow_private)
    token = _guard.set(guard)
    try:
        yield guard
    finally:
        _guard.reset(token)
