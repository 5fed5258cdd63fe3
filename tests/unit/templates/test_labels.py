from oncall.templates.labels import alert_labels, group_labels, parse_label_filter, present_labels
from tests import builders


def _integration(store, clock, **labels):
    integration, _ = builders.integration(store, clock, kind="webhook")
    return integration.model_copy(update=labels)


def test_static_then_dynamic_then_multi_later_wins(store, clock):
    # given the same key from all three sources
    integration = _integration(
        store,
        clock,
        labels={"team": "static", "env": "prod"},
        dynamic_labels={"team": "{{ payload.team }}", "svc": "{{ payload.svc }}"},
        labels_template='{"team": "multi", "region": "{{ payload.region }}"}',
    )
    labels = alert_labels(integration, {"team": "dynamic", "svc": "db", "region": "eu"})
    # then the multi-label template wins for team; the others merge in
    assert labels == {"team": "multi", "env": "prod", "svc": "db", "region": "eu"}
    # and a dynamic label beats a static one when the multi-label template does not set it
    integration = integration.model_copy(update={"labels_template": None})
    assert alert_labels(integration, {"team": "dynamic"})["team"] == "dynamic"


def test_values_that_fail_are_empty_too_long_or_none_are_dropped(store, clock):
    integration = _integration(
        store,
        clock,
        labels={"team": "static"},
        dynamic_labels={
            "team": "{{ payload.missing.deeper }}",  # render error: the static value stays
            "empty": "{{ payload.nothing }}",
            "long": "{{ 'x' * 201 }}",
            "none1": "None",
            "none2": "{{ payload.n }}",
            "edge": "{{ 'y' * 200 }}",
            "spaced": "  ok  ",
        },
    )
    labels = alert_labels(integration, {"n": "NONE"})
    assert labels == {"team": "static", "edge": "y" * 200, "spaced": "ok"}


def test_multi_label_template_must_render_a_json_object(store, clock):
    payload = {"labels": {"a": "1"}}
    base = _integration(store, clock)
    for template in ("not json", "[1, 2]", '"text"', "{{ payload.missing.x }}", ""):
        assert alert_labels(base.model_copy(update={"labels_template": template}), payload) == {}
    integration = base.model_copy(update={"labels_template": "{{ payload.labels | tojson }}"})
    assert alert_labels(integration, payload) == {"a": "1"}


def test_multi_label_keys_and_value_types(store, clock):
    template = (
        '{"int": 3, "float": 1.5, "bool": true, "null": null, "nested": {"a": 1}, "list": [1],'
        ' "": "no key", "' + "k" * 201 + '": "key too long", "' + "k" * 200 + '": "ok"}'
    )
    integration = _integration(store, clock, labels_template=template)
    assert alert_labels(integration, {}) == {"int": "3", "float": "1.5", "bool": "true", "k" * 200: "ok"}


def test_label_templates_see_the_payload_only(store, clock):
    integration = _integration(store, clock, labels={"a": "b"}, dynamic_labels={"seen": "{{ labels }}x"})
    assert alert_labels(integration, {})["seen"] == "x"


def test_group_keeps_fifteen_sorted_by_key_and_value():
    labels = {f"k{n:02d}": f"v{n}" for n in range(20, 0, -1)}
    kept = group_labels(labels)
    assert list(kept) == [f"k{n:02d}" for n in range(1, 16)]


def test_public_shape_and_filter_parsing():
    assert present_labels({"b": "2", "a": "1"}) == [
        {"key": {"id": "a", "name": "a"}, "value": {"id": "1", "name": "1"}},
        {"key": {"id": "b", "name": "b"}, "value": {"id": "2", "name": "2"}},
    ]
    assert parse_label_filter("url:http://x") == ("url", "http://x")
    assert parse_label_filter("novalue") is None and parse_label_filter(":v") is None
