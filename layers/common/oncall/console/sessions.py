"""Console sessions and CSRF tokens.

A session is an API token entered once. The cookie carries the token's *digest* (never the token), its id and
an expiry, signed with HMAC-SHA256 under a key derived from the deployment's action-link secret (one secret
to rotate: rotating it signs everyone out, as it invalidates every action link). Every request re-reads the
token by its digest, so a revoked token ends its sessions at once and a changed role applies at once.

CSRF: every form carries `csrf = HMAC(key, "csrf" | session nonce)`; the sign-in form (before any session)
carries a signed, expiring token of its own. Compared in constant time. The cookie is also SameSite=Strict.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from oncall.platform.clock import Clock
from oncall.platform.errors import AuthenticationError, PermissionDeniedError, RateLimitedError
from oncall.storage.protocols import RateLimitStore

COOKIE_NAME = "oncall_session"
SESSION_SECONDS = 12 * 3600
SIGNIN_FORM_SECONDS = 3600
# Sign-in attempts per client address per window (the rest get 429 until the window ends).
SIGNIN_ATTEMPTS = 10
SIGNIN_WINDOW_SECONDS = 300
_VERSION = "v1"
_KEY_LABEL = b"oncall-console-session-v1"


class SessionError(AuthenticationError):
    """A cookie that is missing, tampered with or expired: the console asks to sign in again (401)."""


class CsrfError(PermissionDeniedError):
    """A form without this session's CSRF token (403)."""


class SignInRateLimitedError(RateLimitedError):
    """Too many sign-in attempts from one address in the window (429 with Retry-After)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many sign-in attempts from this address. Try again in {retry_after} seconds.",
            limit={"attempts": SIGNIN_ATTEMPTS, "per_seconds": SIGNIN_WINDOW_SECONDS},
            retry_after=retry_after,
        )


@dataclass(frozen=True)
class Session:
    token_id: str
    digest: str
    expires: int  # Unix time
    nonce: str  # ties CSRF tokens to this session


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive_key(secret: str) -> bytes:
    """The console's own key from the deployment secret (a session is never a valid action link)."""
    if not secret:
        raise SessionError("The console is not configured on this deployment (no signing secret).")
    return hmac.new(secret.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest()


class Sessions:
    def __init__(self, key: bytes, clock: Clock, ttl_seconds: int = SESSION_SECONDS) -> None:
        self._key = key
        self._clock = clock
        self._ttl = ttl_seconds

    def _sign(self, message: str) -> str:
        return _b64(hmac.new(self._key, message.encode("utf-8"), hashlib.sha256).digest())

    def _now(self) -> float:
        return self._clock.now().timestamp()

    # -------------------------------------------------------------------------------------- sessions
    def issue(self, token_id: str, digest: str) -> tuple[Session, str]:
        """A new session and its cookie value."""
        session = Session(token_id, digest, math.ceil(self._now()) + self._ttl, secrets.token_urlsafe(12))
        body = _b64(json.dumps([token_id, digest, session.expires, session.nonce], separators=(",", ":")).encode())
        payload = f"{_VERSION}.{body}"
        return session, f"{payload}.{self._sign(payload)}"

    def read(self, cookie_value: str) -> Session:
        parts = cookie_value.split(".")
        if len(parts) != 3 or parts[0] != _VERSION or len(cookie_value) > 1024:
            raise SessionError("Please sign in.")
        payload = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._sign(payload).encode(), parts[2].encode()):
            raise SessionError("Please sign in.")
        try:
            token_id, digest, expires, nonce = json.loads(_unb64(parts[1]))
        except (ValueError, TypeError) as error:
            raise SessionError("Please sign in.") from error
        if not isinstance(expires, int) or expires < self._now():
            raise SessionError("Your session has expired; please sign in again.")
        return Session(str(token_id), str(digest), expires, str(nonce))

    # -------------------------------------------------------------------------------------- CSRF
    def csrf_token(self, session: Session) -> str:
        return self._sign(f"csrf|{session.nonce}|{session.token_id}")

    def check_csrf(self, session: Session, submitted: str) -> None:
        if not submitted or not hmac.compare_digest(self.csrf_token(session).encode(), submitted.encode()):
            raise CsrfError("This form has expired or did not come from the console. Reload the page and try again.")

    def signin_csrf_token(self) -> str:
        expires = math.ceil(self._now()) + SIGNIN_FORM_SECONDS
        return f"{expires}.{self._sign(f'signin|{expires}')}"

    def check_signin_csrf(self, submitted: str) -> None:
        expires, _, signature = (submitted or "").partition(".")
        valid = (
            expires.isdigit()
            and hmac.compare_digest(self._sign(f"signin|{expires}").encode(), signature.encode())
            and int(expires) >= self._now()
        )
        if not valid:
            raise CsrfError("The sign-in form has expired. Reload the page and try again.")


def cookie_header(value: str, *, secure: bool, max_age: int = SESSION_SECONDS) -> str:
    """Set-Cookie for the session: HttpOnly, SameSite=Strict, Secure on HTTPS, the whole site's path."""
    attributes = [f"{COOKIE_NAME}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Strict"]
    if secure:
        attributes.append("Secure")
    return "; ".join(attributes)


def clear_cookie_header(*, secure: bool) -> str:
    return cookie_header("", secure=secure, max_age=0)


def read_cookie(event: dict, name: str = COOKIE_NAME) -> str:
    """A cookie from an HTTP API v2 event (`cookies`), or the Cookie header (hand-built events)."""
    pairs = list(event.get("cookies") or [])
    headers = event.get("headers") or {}
    raw = headers.get("cookie") or headers.get("Cookie") or ""
    pairs.extend(raw.split(";"))
    for pair in pairs:
        key, _, value = pair.strip().partition("=")
        if key == name:
            return value
    return ""


def check_signin_rate(client: str, *, store: RateLimitStore, clock: Clock) -> None:
    """Count one sign-in attempt from this client address (a fixed window counted in DynamoDB, the same
    counter primitive as the API's rate limit); SignInRateLimitedError once the window is full."""
    now = clock.now().timestamp()
    window_start = math.floor(now / SIGNIN_WINDOW_SECONDS) * SIGNIN_WINDOW_SECONDS
    window_end = window_start + SIGNIN_WINDOW_SECONDS
    expires_at = datetime.fromtimestamp(window_end, tz=UTC) + timedelta(minutes=5)
    key = f"console-signin#{hashlib.sha256(client.encode()).hexdigest()[:32]}#{window_start}"
    if not store.count_within_limit(key, SIGNIN_ATTEMPTS, expires_at):
        raise SignInRateLimitedError(max(1, math.ceil(window_end - now)))
