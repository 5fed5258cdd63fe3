"""numFiring/numResolved for Alertmanager-shaped ("v2") integrations
(docs/oncall-compatibility.md#integration-types)."""

import pytest

from oncall.intake.accept import normalize_payload
from tests import builders


@pytest.fixture
def alertmanager(store, clock):
    return builders.integration(store, clock, kind="alertmanager")[0]


def _alerts(*statuses):
    return [{"status": status, "labels": {"n": str(i)}} for i, status in enumerate(statuses)]


@pytest.mark.parametrize("kind", ["alertmanager", "grafana_alerting"])
def test_counts_are_injected_when_absent(store, clock, kind):
    integration = builders.integration(store, clock, kind=kind)[0]
    payload = {"status": "firing", "alerts": _alerts("firing", "resolved", "firing", "pending")}
    assert normalize_payload(integration, payload) == {**payload, "numFiring": 2, "numResolved": 1}


def test_sender_counts_are_kept(alertmanager):
    # only numFiring is checked, as in OnCall: numResolved is not added when numFiring is present
    payload = {"alerts": _alerts("firing"), "numFiring": 7}
    assert normalize_payload(alertmanager, payload) == payload


def test_shape_is_not_validated(alertmanager):
    assert normalize_payload(alertmanager, {"message": "x"}) == {"message": "x", "numFiring": 0, "numResolved": 0}
    odd = {"alerts": ["text", None, {"status": "firing"}]}
    assert normalize_payload(alertmanager, odd) == {**odd, "numFiring": 1, "numResolved": 0}
    assert normalize_payload(alertmanager, {"alerts": {"status": "firing"}})["numFiring"] == 0


def test_the_received_payload_is_not_mutated(alertmanager):
    payload = {"alerts": _alerts("firing")}
    normalize_payload(alertmanager, payload)
    assert payload == {"alerts": _alerts("firing")}


@pytest.mark.parametrize("kind", ["webhook", "legacy_alertmanager", "grafana", "amazon_sns"])
def test_other_types_are_untouched(store, clock, kind):
    integration = builders.integration(store, clock, kind=kind)[0] if kind in ("webhook", "amazon_sns") else None
    if integration is None:  # not creatable through the API: build the entity directly
        from oncall.models import Integration

        integration = Integration(id="C1", name="x", type=kind, token="t", default_route_id="R", created_at=clock.now())
    payload = {"alerts": _alerts("firing")}
    assert normalize_payload(integration, payload) == payload
