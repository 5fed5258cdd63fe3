from datetime import UTC, datetime

from oncall.dispatch.routing import select_route
from oncall.models import Route

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _route(route_id, position=0, term=None, kind="regex", default=False, labels=None):
    return Route(
        id=route_id,
        integration_id="C1",
        position=position,
        is_default=default,
        routing_type=kind,
        routing_regex=term,
        routing_labels=labels or {},
        created_at=NOW,
    )


DEFAULT = _route("Rdefault", default=True)


def test_default_route_when_nothing_matches():
    assert select_route([_route("R1", term="nomatch"), DEFAULT], {"a": 1}, {}).id == "Rdefault"


def test_regex_searches_json_dumps_of_payload():
    # json.dumps puts a space after the colon: that is what OnCall users' regexes are written against
    route = _route("R1", term='"severity": "critical"')
    assert select_route([DEFAULT, route], {"severity": "critical"}, {}).id == "R1"


def test_first_match_in_position_order_wins():
    routes = [DEFAULT, _route("R2", position=1, term="db"), _route("R1", position=0, term="db")]
    assert select_route(routes, {"host": "db-1"}, {}).id == "R1"


def test_jinja2_route_uses_truthiness():
    routes = [DEFAULT, _route("R1", term="{{ payload.team == 'db' }}", kind="jinja2")]
    assert select_route(routes, {"team": "db"}, {}).id == "R1"
    assert select_route(routes, {"team": "web"}, {}).id == "Rdefault"


def test_invalid_regex_never_matches():
    assert select_route([DEFAULT, _route("R1", term="(")], {"a": "("}, {}).id == "Rdefault"


def test_labels_route_needs_every_pair_to_match():
    routes = [DEFAULT, _route("R1", kind="labels", labels={"team": "db", "env": "prod"})]
    assert select_route(routes, {}, {"team": "db", "env": "prod", "extra": "x"}).id == "R1"
    assert select_route(routes, {}, {"team": "db"}).id == "Rdefault"
    assert select_route(routes, {}, {"team": "db", "env": "dev"}).id == "Rdefault"


def test_labels_route_never_matches_an_alert_without_labels_or_without_pairs():
    assert select_route([DEFAULT, _route("R1", kind="labels", labels={"a": "b"})], {"a": "b"}, {}).id == "Rdefault"
    assert select_route([DEFAULT, _route("R1", kind="labels")], {}, {"a": "b"}).id == "Rdefault"


def test_jinja2_route_sees_labels_and_first_match_wins_across_types():
    routes = [
        DEFAULT,
        _route("R2", position=1, kind="labels", labels={"team": "db"}),
        _route("R1", position=0, term="{{ labels.team == 'db' and payload.sev == 'low' }}", kind="jinja2"),
    ]
    assert select_route(routes, {"sev": "low"}, {"team": "db"}).id == "R1"
    assert select_route(routes, {"sev": "high"}, {"team": "db"}).id == "R2"
