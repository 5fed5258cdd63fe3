"""Integration and route configuration: updates, deletes, labels, options and route positions."""

import pytest

from oncall.configuration.changes import delete_integration, delete_route, update_integration, update_route
from oncall.configuration.requests import IntegrationUpdate, RouteUpdate
from oncall.platform.errors import NotFoundError, ValidationError
from tests import builders


def _update(store, integration, **fields):
    return update_integration(integration.id, IntegrationUpdate(**fields), store=store)


def _field_of(error: pytest.ExceptionInfo) -> set[str]:
    return set(error.value.fields)


# ------------------------------------------------------------------------------------------ integrations
def test_only_the_fields_sent_change(store, clock):
    integration, _ = builders.integration(store, clock, name="AM", labels={"team": "db"})
    updated = _update(store, integration, description_short="prod")
    assert (updated.name, updated.description_short, updated.labels) == ("AM", "prod", {"team": "db"})
    assert store.get_integration(integration.id) == updated
    assert updated.token == integration.token and updated.type == integration.type


def test_template_null_resets_a_slot_a_surface_or_everything(store, clock):
    integration, _ = builders.integration(
        store,
        clock,
        templates={"grouping_key": "{{ payload.a }}", "web": {"title": "T", "message": "M"}, "sms": {"title": "S"}},
    )
    step = _update(store, integration, templates={"grouping_key": None, "web": {"title": "T2"}})
    assert step.templates == {"web_title": "T2", "web_message": "M", "sms_title": "S"}
    step = _update(store, step, templates={"web": None})
    assert step.templates == {"sms_title": "S"}
    assert _update(store, step, templates=None).templates == {}


def test_templates_are_checked_by_the_renderer_and_unknown_names_refused(store, clock):
    integration, _ = builders.integration(store, clock)
    with pytest.raises(ValidationError) as broken:
        _update(store, integration, templates={"resolve_signal": "{% if %}"})
    assert _field_of(broken) == {"templates"} and "Template Error" in broken.value.fields["templates"][0]
    with pytest.raises(ValidationError) as unknown:
        _update(store, integration, templates={"grouping_id": "x", "web": {"titel": "x"}})
    assert "grouping_id" in unknown.value.detail and "web.titel" in unknown.value.detail
    # what renders is accepted, including regex-looking filters (OnCall #3425)
    ok = _update(store, integration, templates={"grouping_key": "{{ payload.x | regex_replace('[0-9]+$', '') }}"})
    assert ok.templates["grouping_id"].startswith("{{ payload.x")


def test_name_stays_unique_per_team(store, clock):
    builders.integration(store, clock, name="A")
    second, _ = builders.integration(store, clock, name="B")
    with pytest.raises(ValidationError) as taken:
        _update(store, second, name="A")
    assert _field_of(taken) == {"name"}
    assert _update(store, second, name="B").name == "B"  # its own name is fine
    assert _update(store, second, name="A", team_id="T1").team_id == "T1"
    with pytest.raises(ValidationError):
        _update(store, second, name=None)


def test_labels_and_options_are_set_checked_and_turned_off_with_null(store, clock):
    integration, _ = builders.integration(store, clock)
    updated = _update(
        store,
        integration,
        labels=[{"key": {"id": "k1", "name": "team"}, "value": {"id": "v1", "name": "db"}}],
        dynamic_labels={"severity": "{{ payload.commonLabels.severity }}"},
        labels_template="{{ payload.commonLabels | tojson }}",
        grouping_scope="integration",
        auto_resolve_minutes=60,
        rate_limit={"alerts": 300, "per_seconds": 300},
        allow_source_based_resolving=False,
    )
    assert updated.labels == {"team": "db"} and updated.grouping_scope == "integration"
    assert updated.rate_limit.alerts == 300 and updated.auto_resolve_minutes == 60
    off = _update(
        store,
        updated,
        labels=None,
        dynamic_labels=None,
        labels_template=None,
        grouping_scope=None,
        auto_resolve_minutes=None,
        rate_limit=None,
        allow_source_based_resolving=None,
    )
    assert (off.labels, off.dynamic_labels, off.labels_template) == ({}, {}, None)
    assert (off.grouping_scope, off.auto_resolve_minutes, off.rate_limit) == ("route", None, None)
    assert off.allow_source_based_resolving is True


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"labels": {"": "x"}}, "labels"),
        ({"labels": {"k" * 201: "x"}}, "labels"),
        ({"labels": {"team": "None"}}, "labels"),
        ({"labels": {"team": "v" * 201}}, "labels"),
        (
            {
                "labels": [
                    {"key": {"name": "a"}, "value": {"name": "1"}},
                    {"key": {"name": "a"}, "value": {"name": "2"}},
                ]
            },
            "labels",
        ),
        ({"dynamic_labels": {"sev": "{{ payload.x"}}, "dynamic_labels"),
        ({"dynamic_labels": {"sev": "  "}}, "dynamic_labels"),
        ({"labels_template": "{% for %}"}, "labels_template"),
    ],
)
def test_bad_labels_name_the_field(store, clock, fields, field):
    integration, _ = builders.integration(store, clock)
    with pytest.raises(ValidationError) as bad:
        _update(store, integration, **fields)
    assert _field_of(bad) == {field} and field in bad.value.detail


def test_default_route_chain_can_be_changed_inline(store, clock):
    chain = builders.chain(store, clock, [{"type": "wait", "duration": 60}])
    integration, route = builders.integration(store, clock)
    _update(store, integration, default_route={"escalation_chain_id": chain.id})
    assert store.get_route(route.id).escalation_chain_id == chain.id
    with pytest.raises(ValidationError) as missing:
        _update(store, integration, default_route={"escalation_chain_id": "Fnope"})
    assert _field_of(missing) == {"default_route"}


def test_delete_removes_integration_token_and_routes_but_keeps_groups(store, clock, deps):
    from oncall.dispatch.pipeline import process_alert
    from oncall.models import IngestMessage

    integration, default = builders.integration(store, clock)
    extra = builders.route(store, clock, integration.id, "x")
    other, other_default = builders.integration(store, clock, name="other")
    alert = builders.alert(store, clock, integration, builders.am_payload())
    group_id = process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps).group_id
    delete_integration(integration.id, store=store)
    assert store.get_integration(integration.id) is None
    assert store.find_integration_by_token(integration.token) is None
    assert store.get_route(default.id) is None and store.get_route(extra.id) is None
    assert store.get_group(group_id) is not None
    assert store.get_route(other_default.id) is not None and store.get_integration(other.id) is not None
    with pytest.raises(NotFoundError):
        delete_integration(integration.id, store=store)


# ------------------------------------------------------------------------------------------ routes
def _order(store, integration_id):
    routes = [r for r in store.list_routes() if r.integration_id == integration_id and not r.is_default]
    return [(r.position, r.routing_regex) for r in sorted(routes, key=lambda r: r.position)]


def test_create_update_and_delete_shift_positions(store, clock):
    integration, _ = builders.integration(store, clock)
    a = builders.route(store, clock, integration.id, "a")
    b = builders.route(store, clock, integration.id, "b")
    builders.route(store, clock, integration.id, "c", position=0)
    assert _order(store, integration.id) == [(0, "c"), (1, "a"), (2, "b")]
    builders.route(store, clock, integration.id, "d", position=99)  # past the end = last
    # move b to the front, then a to the end (-1 = last, before the default)
    update_route(b.id, RouteUpdate(position=0), store=store)
    assert _order(store, integration.id) == [(0, "b"), (1, "c"), (2, "a"), (3, "d")]
    moved = update_route(a.id, RouteUpdate(position=-1), store=store)
    assert moved.position == 3
    assert _order(store, integration.id) == [(0, "b"), (1, "c"), (2, "d"), (3, "a")]
    delete_route(b.id, store=store)
    assert _order(store, integration.id) == [(0, "c"), (1, "d"), (2, "a")]


def test_routing_type_changes_are_validated_naming_the_field(store, clock):
    integration, _ = builders.integration(store, clock)
    route = builders.route(store, clock, integration.id, "critical")
    labels = update_route(route.id, RouteUpdate(routing_type="labels", routing_labels={"team": "db"}), store=store)
    assert (labels.routing_type, labels.routing_regex, labels.routing_labels) == ("labels", None, {"team": "db"})
    with pytest.raises(ValidationError) as needs_term:
        update_route(route.id, RouteUpdate(routing_type="jinja2"), store=store)
    assert _field_of(needs_term) == {"routing_regex"}
    jinja = update_route(route.id, RouteUpdate(routing_type="jinja2", routing_regex="{{ 1 }}"), store=store)
    assert jinja.routing_labels == {} and jinja.routing_regex == "{{ 1 }}"
    with pytest.raises(ValidationError) as bad_regex:
        update_route(route.id, RouteUpdate(routing_type="regex", routing_regex="(unclosed"), store=store)
    assert _field_of(bad_regex) == {"routing_regex"}
    with pytest.raises(ValidationError) as no_labels:
        builders.route(store, clock, integration.id, None, routing_type="labels")
    assert _field_of(no_labels) == {"routing_labels"}
    with pytest.raises(ValidationError) as no_term:
        builders.route(store, clock, integration.id, None)
    assert _field_of(no_term) == {"routing_regex"}
    with pytest.raises(ValidationError) as term_on_labels:
        builders.route(store, clock, integration.id, "x", routing_type="labels", routing_labels={"a": "b"})
    assert _field_of(term_on_labels) == {"routing_regex"}


def test_chain_can_be_set_and_cleared(store, clock):
    chain = builders.chain(store, clock, [{"type": "wait", "duration": 60}])
    integration, _ = builders.integration(store, clock)
    route = builders.route(store, clock, integration.id, "x", escalation_chain_id=chain.id)
    assert update_route(route.id, RouteUpdate(escalation_chain_id=None), store=store).escalation_chain_id is None
    with pytest.raises(ValidationError) as missing:
        update_route(route.id, RouteUpdate(escalation_chain_id="Fnope"), store=store)
    assert _field_of(missing) == {"escalation_chain_id"}


def test_default_route_cannot_be_deleted_or_given_a_term(store, clock):
    chain = builders.chain(store, clock, [{"type": "wait", "duration": 60}])
    integration, default = builders.integration(store, clock)
    with pytest.raises(ValidationError, match="default route cannot be deleted"):
        delete_route(default.id, store=store)
    for fields in ({"routing_regex": "x"}, {"position": 0}, {"routing_type": "jinja2"}):
        with pytest.raises(ValidationError) as fixed:
            update_route(default.id, RouteUpdate(**fields), store=store)
        assert _field_of(fixed) == set(fields)
    assert update_route(default.id, RouteUpdate(escalation_chain_id=chain.id), store=store).is_default
    with pytest.raises(NotFoundError):
        update_route("Rnope", RouteUpdate(position=1), store=store)
