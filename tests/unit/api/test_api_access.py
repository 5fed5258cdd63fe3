"""Tokens, roles, the per-token rate limit and chain changes: the pure logic behind the management API."""

from datetime import UTC, datetime

import pytest

from oncall.access.rate_limit import check_api_rate
from oncall.access.tokens import authenticate, create_token, revoke_token
from oncall.api.alert_groups import _started_at_range
from oncall.api.common import required_role
from oncall.configuration.changes import create_chain, delete_chain, update_chain
from oncall.configuration.requests import ChainCreate, ChainPatch
from oncall.models import ApiTokenRole
from oncall.platform import ids
from oncall.platform.errors import ApiRateLimitedError, AuthenticationError, NotFoundError, ValidationError
from tests import builders


def _no_bootstrap() -> None:
    return None


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("GET", "/api/v1/integrations", ApiTokenRole.VIEWER),
        ("HEAD", "/api/v1/alert_groups/I1/", ApiTokenRole.VIEWER),
        ("POST", "/api/v1/integrations", ApiTokenRole.EDITOR),
        ("DELETE", "/api/v1/routes/R1", ApiTokenRole.EDITOR),
        ("GET", "/api/v1/settings", ApiTokenRole.VIEWER),
        ("PUT", "/api/v1/settings/", ApiTokenRole.ADMIN),
        ("GET", "/api/v1/tokens", ApiTokenRole.ADMIN),
        ("DELETE", "/api/v1/tokens/K1/", ApiTokenRole.ADMIN),
        ("GET", "/api/v1/tokensmith", ApiTokenRole.VIEWER),
    ],
)
def test_required_role(method, path, role):
    assert required_role(method, path) is role


def test_a_created_token_authenticates_until_revoked(store, clock):
    token, value = create_token("ci", ApiTokenRole.EDITOR, None, store=store, clock=clock)

    assert authenticate(value, store=store, bootstrap_token=_no_bootstrap) == token
    assert authenticate(f"Bearer {value}", store=store, bootstrap_token=_no_bootstrap) == token
    assert token.digest == ids.token_digest(value) and value not in token.model_dump_json()
    assert len(value) >= 43 and token.id.startswith("K")

    revoke_token(token.id, store=store)

    with pytest.raises(AuthenticationError):
        authenticate(value, store=store, bootstrap_token=_no_bootstrap)
    with pytest.raises(NotFoundError):
        revoke_token(token.id, store=store)


def test_token_values_are_unique_and_user_must_exist(store, clock):
    values = {create_token("t", ApiTokenRole.VIEWER, None, store=store, clock=clock)[1] for _ in range(50)}
    assert len(values) == 50
    with pytest.raises(ValidationError) as missing:
        create_token("t", ApiTokenRole.VIEWER, "Unope", store=store, clock=clock)
    assert "user_id" in missing.value.fields
    with pytest.raises(ValidationError):
        revoke_token("bootstrap", store=store)


def test_api_rate_limit_counts_per_token_per_minute(store, clock):
    clock.current = datetime(2026, 11, 27, 12, 0, 45, tzinfo=UTC)
    for _ in range(3):
        check_api_rate("KA", 3, store=store, clock=clock)
    check_api_rate("KB", 3, store=store, clock=clock)  # another token has its own count

    with pytest.raises(ApiRateLimitedError) as limited:
        check_api_rate("KA", 3, store=store, clock=clock)

    assert limited.value.headers() == {"RateLimit-Reset": "15", "Retry-After": "15"}
    assert limited.value.extra_body() == {}
    clock.advance(seconds=15)  # the next minute
    check_api_rate("KA", 3, store=store, clock=clock)


def test_api_rate_limit_zero_is_off(store, clock):
    for _ in range(10):
        check_api_rate("KA", 0, store=store, clock=clock)
    assert store.counters == {}


def test_started_at_range():
    start, end = _started_at_range("2026-03-01T00:00:00_2026-03-31T23:59:59")
    assert (start, end) == (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC))
    for bad in ("2026-03-01", "2026-03-01T00:00:00", "a_b", "2026-03-01T00:00:00Z_2026-03-02T00:00:00"):
        with pytest.raises(ValidationError) as error:
            _started_at_range(bad)
        assert "started_at" in error.value.fields


def test_chain_rename_replace_and_delete(store, clock):
    chain = create_chain(ChainCreate(name="Primary", team_id="TSRE"), store=store, clock=clock)
    create_chain(ChainCreate(name="Secondary"), store=store, clock=clock)
    builders.chain(store, clock, [{"type": "resolve"}], name="Third")

    assert update_chain(chain.id, ChainPatch(name="Tier 1"), store=store).team_id == "TSRE"
    assert update_chain(chain.id, ChainCreate(name="Tier 1"), store=store).team_id is None
    with pytest.raises(ValidationError) as taken:
        update_chain(chain.id, ChainPatch(name="Secondary"), store=store)
    assert "name" in taken.value.fields

    delete_chain(chain.id, store=store)

    assert store.get_chain(chain.id) is None
    with pytest.raises(NotFoundError):
        delete_chain(chain.id, store=store)
