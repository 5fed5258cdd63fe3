"""Route selection (OnCall semantics): non-default routes in position order, first match wins, then the
default route, which always matches. Routing types: `regex` (searched in json.dumps(payload)), `jinja2`
(truthy output over {payload, labels}) and `labels` (every configured pair equals the alert's label)."""

from __future__ import annotations

import json
from typing import Any

from oncall.dispatch.grouping import behaviour_context
from oncall.models import Route
from oncall.templates.engine import REGEX_TIMEOUT_SECONDS, render_condition

MAX_ROUTE_TERM_LENGTH = 1024


def route_matches(route: Route, payload: dict[str, Any], labels: dict[str, str]) -> bool:
    term = route.routing_regex
    if route.is_default:
        return True
    if route.routing_type == "labels":
        wanted = route.routing_labels
        return bool(wanted) and bool(labels) and all(labels.get(k) == v for k, v in wanted.items())
    if not term:
        return False
    if route.routing_type == "jinja2":
        return render_condition(term, behaviour_context(payload, labels))
    if route.routing_type == "regex":
        import regex  # loaded by the first regex route (most integrations route by default or labels)

        try:
            # OnCall searches the payload as json.dumps renders it with default settings.
            return regex.search(term, json.dumps(payload), timeout=REGEX_TIMEOUT_SECONDS) is not None
        except (regex.error, TimeoutError):
            return False
    return False


def compile_regex_term(term: str) -> str | None:
    """The error a regex route term has, or None: the same library and flags as the matcher."""
    import regex  # on use, as in the matcher: only regex routes need it

    try:
        regex.compile(term)
    except regex.error as error:
        return f"Invalid regular expression: {error}."
    return None


def select_route(routes: list[Route], payload: dict[str, Any], labels: dict[str, str]) -> Route:
    """The matching route; `routes` must contain the integration's default route."""
    ordered = sorted(routes, key=lambda r: (r.is_default, r.position, r.id))
    for route in ordered:
        if route_matches(route, payload, labels):
            return route
    raise LookupError("integration has no default route")
