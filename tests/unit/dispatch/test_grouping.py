import threading

from oncall.dispatch.grouping import evaluate_signals, grouping_key, place_alert
from oncall.models import AlertGroup
from oncall.platform import ids
from tests import builders


def _new_group_factory(store, integration, route, alert):
    def new_group(key, now):
        return AlertGroup(
            id=ids.public_id("I"),
            number=store.next_group_number(),
            integration_id=integration.id,
            route_id=route.id,
            grouping_key=key,
            title="t",
            started_at=now,
            first_alert_id=alert.id,
            last_alert_id=alert.id,
        )

    return new_group


def _place(store, clock, integration, route, payload, **kw):
    alert = builders.alert(store, clock, integration, payload, **kw)
    signals = evaluate_signals(integration, alert, {})
    return place_alert(
        alert,
        route,
        signals,
        integration,
        store=store,
        clock=clock,
        new_group=_new_group_factory(store, integration, route, alert),
    )


def test_alertmanager_signals_from_default_templates(store, clock):
    integration, _ = builders.integration(store, clock)
    alert = builders.alert(store, clock, integration, builders.am_payload("resolved"))
    signals = evaluate_signals(integration, alert, {})
    assert signals.is_resolve and not signals.is_acknowledge
    assert signals.distinction is not None
    assert signals.title == "DiskFull"


def test_same_key_joins_open_group(store, clock):
    integration, route = builders.integration(store, clock)
    first = _place(store, clock, integration, route, builders.am_payload())
    second = _place(store, clock, integration, route, builders.am_payload())
    assert first.created and not second.created
    assert second.group_id == first.group_id
    assert store.get_group(first.group.id).alerts_count == 2


def test_different_key_opens_another_group(store, clock):
    integration, route = builders.integration(store, clock)
    first = _place(store, clock, integration, route, builders.am_payload(alertname="A"))
    second = _place(store, clock, integration, route, builders.am_payload(alertname="B"))
    assert second.created and second.group.id != first.group.id


def test_after_resolve_next_firing_opens_new_group(store, clock):
    integration, route = builders.integration(store, clock)
    first = _place(store, clock, integration, route, builders.am_payload())
    store.update_group(store.get_group(first.group.id), {"resolved": True}, close_grouping_key=True)
    again = _place(store, clock, integration, route, builders.am_payload())
    assert again.created and again.group.id != first.group.id


def test_late_resolve_joins_latest_resolved_group(store, clock):
    integration, route = builders.integration(store, clock)
    first = _place(store, clock, integration, route, builders.am_payload())
    store.update_group(store.get_group(first.group.id), {"resolved": True}, close_grouping_key=True)
    late = _place(store, clock, integration, route, builders.am_payload("resolved"))
    assert not late.created and late.group.id == first.group.id


def test_demo_alerts_never_group(store, clock):
    integration, route = builders.integration(store, clock)
    first = _place(store, clock, integration, route, builders.am_payload(), is_demo=True)
    second = _place(store, clock, integration, route, builders.am_payload(), is_demo=True)
    assert first.created and second.created
    assert first.group.grouping_key is None


def test_empty_grouping_output_never_groups(store, clock):
    integration, route = builders.integration(store, clock, kind="formatted_webhook")
    first = _place(store, clock, integration, route, {"title": "no uid"})
    second = _place(store, clock, integration, route, {"title": "no uid"})
    assert second.created and first.group.id != second.group.id


def test_redelivered_alert_is_not_added_twice(store, clock):
    integration, route = builders.integration(store, clock)
    alert = builders.alert(store, clock, integration, builders.am_payload())
    signals = evaluate_signals(integration, alert, {})
    factory = _new_group_factory(store, integration, route, alert)
    first = place_alert(alert, route, signals, integration, store=store, clock=clock, new_group=factory)
    again = place_alert(alert, route, signals, integration, store=store, clock=clock, new_group=factory)
    assert again.group_id == first.group_id and again.created
    assert store.get_group(first.group.id).alerts_count == 1


def test_grouping_key_includes_route():
    assert grouping_key("C1", "R1", "abc") != grouping_key("C1", "R2", "abc")
    assert grouping_key("C1", "R1", None) is None


def test_integration_scope_leaves_the_route_out_of_the_key():
    assert grouping_key("C1", "R1", "abc", "integration") == grouping_key("C1", "R2", "abc", "integration")
    assert grouping_key("C1", "R1", "abc", "integration") != grouping_key("C1", "R1", "abc", "route")
    assert grouping_key("C1", "R1", None, "integration") is None


def test_failed_grouping_template_never_groups(store, clock):
    integration, route = builders.integration(
        store, clock, kind="webhook", templates={"grouping_key": "{{ payload.missing.deeper }}"}
    )
    first = _place(store, clock, integration, route, {"a": 1})
    second = _place(store, clock, integration, route, {"a": 1})
    assert first.group.grouping_key is None and second.created and first.group.id != second.group.id


def test_late_resolve_opens_a_new_group_when_source_resolving_is_off(store, clock):
    integration, route = builders.integration(store, clock)
    integration = integration.model_copy(update={"allow_source_based_resolving": False})
    first = _place(store, clock, integration, route, builders.am_payload())
    store.update_group(store.get_group(first.group.id), {"resolved": True}, close_grouping_key=True)
    late = _place(store, clock, integration, route, builders.am_payload("resolved"))
    assert late.created and late.group.id != first.group.id


def test_labels_reach_the_grouping_template(store, clock):
    integration, route = builders.integration(
        store, clock, kind="webhook", templates={"grouping_key": "{{ labels.service }}"}
    )
    alert = builders.alert(store, clock, integration, {})
    assert evaluate_signals(integration, alert, {}).distinction is None
    assert evaluate_signals(integration, alert, {"service": "db"}).distinction is not None


def test_two_workers_racing_on_a_new_key_create_one_group(store, clock):
    # given two alerts with the same new key, placed at the same moment by two workers
    integration, route = builders.integration(store, clock)
    alerts = [builders.alert(store, clock, integration, builders.am_payload()) for _ in range(2)]
    barrier = threading.Barrier(2)
    original_get_key = store.get_group_key

    first_reads = []

    def get_key_then_wait(key):
        pointer = original_get_key(key)
        first_reads.append(key)
        if len(first_reads) <= 2:
            barrier.wait(timeout=5)  # both read "no open group" before either writes
        return pointer

    store.get_group_key = get_key_then_wait
    results = []

    def worker(alert):
        signals = evaluate_signals(integration, alert, {})
        results.append(
            place_alert(
                alert,
                route,
                signals,
                integration,
                store=store,
                clock=clock,
                new_group=_new_group_factory(store, integration, route, alert),
            )
        )

    threads = [threading.Thread(target=worker, args=(a,)) for a in alerts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    # then exactly one group holds both alerts
    assert len(store.groups) == 1
    assert sorted(r.created for r in results) == [False, True]
    assert next(iter(store.groups.values())).alerts_count == 2
