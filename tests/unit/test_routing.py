from datetime import UTC, datetime

from oncall.models import Route
from oncall.routing import select_route

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _route(route_id, position=0, term=None, kind="regex", default=False):
    return Route(
        id=route_id,
        integration_id="C1",
        position=position,
        is_default=default,
        routing_type=kind,
        routing_regex=term,
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
