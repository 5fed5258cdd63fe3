import pytest

from oncall.access.tokens import authenticate, require_role
from oncall.api.integrations import present_integration
from oncall.api.pagination import paginate
from oncall.configuration.changes import create_integration
from oncall.configuration.requests import IntegrationCreate
from oncall.models import ApiToken, ApiTokenRole
from oncall.platform import ids
from oncall.platform.errors import AuthenticationError, PermissionDeniedError, ValidationError
from oncall.templates.names import public_templates_to_slots, slots_to_public_templates
from tests import builders


def test_integration_gets_default_route_and_link(store, clock):
    integration, route = builders.integration(store, clock, name="Prod AM")
    body = present_integration(integration, route, "https://oncall.example")
    assert body["link"] == f"https://oncall.example/integrations/v1/alertmanager/{integration.token}/"
    assert body["default_route"]["id"] == route.id and route.is_default
    assert body["heartbeat"]["link"].endswith("/heartbeat/")
    assert body["id"].startswith("C") and len(integration.token) == 25


def test_duplicate_name_and_bad_type_are_field_errors(store, clock):
    builders.integration(store, clock, name="X")
    with pytest.raises(ValidationError) as duplicate:
        builders.integration(store, clock, name="X")
    assert "name" in duplicate.value.fields
    with pytest.raises(ValidationError) as bad_type:
        create_integration(IntegrationCreate(type="pagerduty"), store=store, clock=clock)
    assert "type" in bad_type.value.fields


def test_invalid_template_is_refused(store, clock):
    with pytest.raises(ValidationError, match="Invalid template"):
        builders.integration(store, clock, templates={"grouping_key": "{{ oops"})


def test_template_names_round_trip():
    slots = public_templates_to_slots({"grouping_key": "{{ payload.id }}", "web": {"title": "T"}, "sms": None})
    assert slots["grouping_id"] == "{{ payload.id }}" and slots["web_title"] == "T" and slots["sms_title"] is None
    public = slots_to_public_templates({"grouping_id": "{{ payload.id }}", "web_title": "T"})
    assert public["grouping_key"] == "{{ payload.id }}" and public["web"]["title"] == "T"
    assert public["resolve_signal"] is None


def test_route_positions_shift(store, clock):
    integration, _ = builders.integration(store, clock)
    first = builders.route(store, clock, integration.id, "a")
    second = builders.route(store, clock, integration.id, "b", position=0)
    assert (store.get_route(second.id).position, store.get_route(first.id).position) == (0, 1)


def test_route_term_must_compile(store, clock):
    integration, _ = builders.integration(store, clock)
    with pytest.raises(ValidationError):
        builders.route(store, clock, integration.id, "(")
    with pytest.raises(ValidationError):
        builders.route(store, clock, integration.id, "{{ x", routing_type="jinja2")


def test_authentication(store, clock):
    token = ids.api_token()
    store.put_api_token(
        ApiToken(id="T1", name="ci", role=ApiTokenRole.VIEWER, digest=ids.token_digest(token), created_at=clock.now())
    )
    assert authenticate(token, store=store, bootstrap_token=lambda: None).role == "viewer"
    assert authenticate(f"Bearer {token}", store=store, bootstrap_token=lambda: None).id == "T1"
    assert authenticate("boot", store=store, bootstrap_token=lambda: "boot").role == "admin"
    for bad in ("", "wrong"):
        with pytest.raises(AuthenticationError):
            authenticate(bad, store=store, bootstrap_token=lambda: "boot")
    with pytest.raises(PermissionDeniedError):
        require_role(store.get_api_token(ids.token_digest(token)), ApiTokenRole.EDITOR)


def test_pagination_envelope():
    items = [{"n": i} for i in range(5)]
    page = paginate(items, page=2, perpage=2, url="https://x/api/v1/things/", query={"a": "b"})
    assert page["results"] == [{"n": 2}, {"n": 3}]
    assert (page["count"], page["total_pages"], page["current_page_number"]) == (5, 3, 2)
    assert page["next"] == "https://x/api/v1/things/?a=b&page=3&perpage=2"
    assert paginate(items, page=99, perpage=2, url="u", query={})["current_page_number"] == 3
