"""Rate limits on fixed windows counted in DynamoDB: the per-integration ingest limit, and the management API's
per-token limit (OnCall's 300 requests per minute).

Ingest (beyond OnCall: configurable per integration, structured 429; #5035):

`Integration.rate_limit = {"alerts": N, "per_seconds": S}` allows N alerts per fixed window of S seconds.
The window's counter is one DynamoDB item, incremented with a conditional ADD (never read-then-write), that
expires by TTL. Checked only when configured, before anything is stored: a rejected alert leaves no trace.
A fixed window can let up to 2N through across a window boundary; that is the price of one write per alert.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools import Logger

from oncall.models import Integration
from oncall.platform.clock import Clock
from oncall.platform.errors import ApiRateLimitedError, RateLimitedError
from oncall.storage.protocols import RateLimitStore, StoreRequestError

logger = Logger(child=True)

# Counters outlive their window a little, so a late write never recreates an expired one with a stale count.
_EXPIRY_MARGIN = timedelta(minutes=5)


def check_ingest_rate(integration: Integration, *, store: RateLimitStore, clock: Clock) -> None:
    """Count this alert, or raise RateLimitedError when the integration's window is full."""
    limit = integration.rate_limit
    if limit is None:
        return
    now = clock.now().timestamp()
    window_start = math.floor(now / limit.per_seconds) * limit.per_seconds
    window_end = window_start + limit.per_seconds
    expires_at = datetime.fromtimestamp(window_end, tz=UTC) + _EXPIRY_MARGIN
    try:
        counted = store.count_within_limit(f"{integration.id}#{window_start}", limit.alerts, expires_at)
    except StoreRequestError:
        # An alerting system must not drop alerts because its limiter is unavailable: fail open.
        logger.exception("rate-limit counter unavailable; accepting the alert", extra={"integration": integration.id})
        return
    if counted:
        return
    retry_after = max(1, math.ceil(window_end - now))
    raise RateLimitedError(
        f"Rate limit exceeded for integration '{integration.name}': at most {limit.alerts} alerts per "
        f"{limit.per_seconds} seconds. Retry after {retry_after} seconds.",
        limit={"alerts": limit.alerts, "per_seconds": limit.per_seconds},
        retry_after=retry_after,
    )


API_WINDOW_SECONDS = 60


def check_api_rate(token_id: str, limit: int, *, store: RateLimitStore, clock: Clock) -> None:
    """Count one management-API request of this token, or raise ApiRateLimitedError when its minute is full.
    `limit` 0 = unlimited. Fails open (logs) if the counter is unavailable, like the ingest limit."""
    if limit <= 0:
        return
    now = clock.now().timestamp()
    window_start = math.floor(now / API_WINDOW_SECONDS) * API_WINDOW_SECONDS
    window_end = window_start + API_WINDOW_SECONDS
    expires_at = datetime.fromtimestamp(window_end, tz=UTC) + _EXPIRY_MARGIN
    try:
        counted = store.count_within_limit(f"api#{token_id}#{window_start}", limit, expires_at)
    except StoreRequestError:
        logger.exception("API rate-limit counter unavailable; serving the request", extra={"token": token_id})
        return
    if counted:
        return
    retry_after = max(1, math.ceil(window_end - now))
    raise ApiRateLimitedError(
        f"Request was throttled: at most {limit} requests per minute per API token. "
        f"Expected available in {retry_after} seconds.",
        limit=limit,
        retry_after=retry_after,
    )
