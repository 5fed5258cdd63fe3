"""Failed authentication costs the attacker, not us (API tokens and integration tokens alike).

- Negative answers are cached in the container for a short while (`NEGATIVE_TTL_SECONDS`): the same wrong
  token tried again costs no DynamoDB read. (Tokens are 128-256 random bits: a token that did not exist a
  moment ago is not about to be created with the same value.)
- Failures are counted per source address in a fixed one-minute window (one conditional ADD in DynamoDB,
  shared by every container). Past `FAILURES_PER_MINUTE`, the address gets 429 with Retry-After until the
  window ends, and this container answers it without touching DynamoDB at all (the address is remembered).
  Every request from that address is refused meanwhile, good tokens included: an address that is guessing
  tokens is not told which of its guesses would have worked.

Successful requests cost nothing here. The counter fails open (an unavailable DynamoDB never locks anyone out).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools import Logger

from oncall.platform.clock import Clock
from oncall.platform.errors import RateLimitedError
from oncall.storage.protocols import RateLimitStore, StoreRequestError

logger = Logger(child=True)

NEGATIVE_TTL_SECONDS = 30.0
FAILURES_PER_MINUTE = 30
WINDOW_SECONDS = 60
_MAX_REMEMBERED = 10_000


class AuthFailuresLimitedError(RateLimitedError):
    """Too many failed authentications from one address (429 with Retry-After)."""


class FailedAuthGuard:
    def __init__(
        self,
        *,
        limit: int = FAILURES_PER_MINUTE,
        negative_ttl: float = NEGATIVE_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self._negative_ttl = negative_ttl
        self._monotonic = monotonic
        self._bad: dict[str, float] = {}  # key -> until (monotonic)
        self._blocked: dict[str, float] = {}  # address -> until (epoch seconds, the window's end)
        self._lock = threading.Lock()

    # the negative cache ---------------------------------------------------------------------------------
    def known_bad(self, key: str) -> bool:
        with self._lock:
            until = self._bad.get(key)
            if until is None:
                return False
            if self._monotonic() >= until:
                del self._bad[key]
                return False
            return True

    def remember_bad(self, key: str) -> None:
        with self._lock:
            if len(self._bad) >= _MAX_REMEMBERED:
                self._bad.clear()
            self._bad[key] = self._monotonic() + self._negative_ttl

    # the per-address limit ------------------------------------------------------------------------------
    def refuse_if_blocked(self, address: str, clock: Clock) -> None:
        """429 at once (no DynamoDB) for an address this container saw exceed its failures."""
        if not address:
            return
        now = clock.now().timestamp()
        with self._lock:
            until = self._blocked.get(address)
            if until is not None and now >= until:
                del self._blocked[address]
                until = None
        if until is not None:
            raise self._limited(math.ceil(until - now))

    def record_failure(self, address: str, *, store: RateLimitStore, clock: Clock) -> None:
        """Count one failure of `address`; raise AuthFailuresLimitedError once its window is full."""
        if not address or self.limit <= 0:
            return
        now = clock.now().timestamp()
        window_start = math.floor(now / WINDOW_SECONDS) * WINDOW_SECONDS
        window_end = window_start + WINDOW_SECONDS
        expires_at = datetime.fromtimestamp(window_end, tz=UTC) + timedelta(minutes=5)
        try:
            counted = store.count_within_limit(f"authfail#{address}#{window_start}", self.limit, expires_at)
        except StoreRequestError:
            logger.exception("failed-authentication counter unavailable", extra={"source": address})
            return
        if counted:
            return
        with self._lock:
            if len(self._blocked) >= _MAX_REMEMBERED:
                self._blocked.clear()
            self._blocked[address] = window_end
        raise self._limited(math.ceil(window_end - now))

    def _limited(self, retry_after: int) -> AuthFailuresLimitedError:
        retry_after = max(1, retry_after)
        return AuthFailuresLimitedError(
            f"Too many failed authentications from this address: at most {self.limit} per minute. "
            f"Retry after {retry_after} seconds.",
            limit={"failures": self.limit, "per_seconds": WINDOW_SECONDS},
            retry_after=retry_after,
        )


def source_address(event: dict) -> str:
    return str(((event.get("requestContext") or {}).get("http") or {}).get("sourceIp") or "")
