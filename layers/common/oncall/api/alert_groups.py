"""/api/v1/alert_groups and /api/v1/alerts"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from oncall import wiring
from oncall.api.common import Page, PerPage, actor, base, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.responses import deleted, paged, returns
from oncall.groups import actions
from oncall.groups.presentation import AlertGroupOut, AlertOut, PayloadBudget, present_alert, present_alert_group
from oncall.groups.requests import AttachRequest, DeleteRequest, SilenceRequest
from oncall.models import AlertGroup
from oncall.platform.bodies import ResponseBody
from oncall.platform.errors import NotFoundError, ValidationError
from oncall.platform.http import no_content
from oncall.templates.labels import parse_label_filter

router = Router()


class TimelineOut(ResponseBody):
    results: list[dict[str, Any]]


# The list filter's `state` values (OnCall quirk: `new` for groups that are firing; `firing` is accepted too).
_STATE_FILTER = {
    "new": "firing",
    "firing": "firing",
    "acknowledged": "acknowledged",
    "resolved": "resolved",
    "silenced": "silenced",
}
StateFilter = Literal["new", "acknowledged", "resolved", "silenced", "firing"]
_STARTED_AT_FORMAT = "%Y-%m-%dT%H:%M:%S"
# Without alert_group_id (or id), /alerts looks at the alerts of this many newest alert groups.
ALERTS_SCAN_GROUPS = 200


def _started_at_range(text: str) -> tuple[datetime, datetime]:
    """OnCall's `started_at=<start>_<end>` (both `%Y-%m-%dT%H:%M:%S`, UTC, inclusive)."""
    start_text, separator, end_text = text.partition("_")
    try:
        if not separator:
            raise ValueError
        start, end = (
            datetime.strptime(part.strip(), _STARTED_AT_FORMAT).replace(tzinfo=UTC) for part in (start_text, end_text)
        )
    except ValueError as error:
        message = "Use started_at=<start>_<end>, both like 2026-03-30T09:00:00 (UTC)."
        raise ValidationError(f"started_at: {message}", {"started_at": [message]}) from error
    return start, end


@router.get("/alert_groups", responses=paged(AlertGroupOut))
def list_alert_groups(
    page: Page = 1,
    perpage: PerPage = DEFAULT_PAGE_SIZE,
    id: str | None = None,  # noqa: A002 - OnCall's filter name
    route_id: str | None = None,
    integration_id: str | None = None,
    team_id: str | None = None,
    state: StateFilter | None = None,
    started_at: Annotated[str | None, Query(description="<start>_<end>, both %Y-%m-%dT%H:%M:%S (UTC)")] = None,
    label: Annotated[list[str] | None, Query(description="key:value, repeatable (all must match)")] = None,
) -> dict:
    """Alert groups, newest first. Filters: `id`, `route_id`, `integration_id`, `team_id` (the integration's),
    `state` (`new` = firing, `acknowledged`, `resolved`, `silenced`), `started_at=<start>_<end>`, `label`."""
    store = wiring.store()
    wanted_state = _STATE_FILTER.get(state) if state else None
    wanted_labels = _label_filters()
    window = _started_at_range(started_at) if started_at is not None else None
    teams = {i.id: i.team_id for i in store.list_integrations()}
    groups = [
        g
        for g in store.list_groups()
        if id in (None, g.id)
        and route_id in (None, g.route_id)
        and integration_id in (None, g.integration_id)
        and team_id in (None, teams.get(g.integration_id))
        and (wanted_state is None or g.state.value == wanted_state)
        and (window is None or window[0] <= g.started_at <= window[1])
        and all(g.labels.get(key) == value for key, value in wanted_labels)
    ]
    page_body = page_of(
        router,
        groups,  # type: ignore[arg-type] - presented below, for the page only
        page,
        perpage,
        id=id,
        route_id=route_id,
        integration_id=integration_id,
        team_id=team_id,
        state=state,
        started_at=started_at,
    )
    shown: list[AlertGroup] = page_body["results"]
    last_alerts = store.get_alerts([g.last_alert_id for g in shown])
    url = base(router)
    budget = PayloadBudget()  # the page's payloads together stay within Lambda's response limit
    page_body["results"] = [
        present_alert_group(
            g, last_alerts.get(g.last_alert_id), url, team_id=teams.get(g.integration_id), budget=budget
        )
        for g in shown
    ]
    return _with_label_query(page_body, wanted_labels)


def _label_filters() -> list[tuple[str, str]]:
    """The repeatable `label=key:value` filter (all must match). Read from the raw query string: API Gateway
    joins repeated parameters with commas, and label values may contain commas."""
    raw = router.current_event.raw_event.get("rawQueryString") or ""
    wanted = []
    for name, text in parse_qsl(raw, keep_blank_values=True):
        if name != "label":
            continue
        pair = parse_label_filter(text)
        if pair is None:
            raise ValidationError(f"label: '{text}' is not key:value.", {"label": ["Use label=<key>:<value>."]})
        wanted.append(pair)
    return wanted


def _with_label_query(page_body: dict, labels: list[tuple[str, str]]) -> dict:
    """Keep the label filters in the next/previous links."""
    if not labels:
        return page_body
    extra = "&" + urlencode([("label", f"{k}:{v}") for k, v in labels])
    for link in ("next", "previous"):
        if page_body.get(link):
            page_body[link] += extra
    return page_body


def _group_body(group: AlertGroup) -> dict:
    store = wiring.store()
    integration = store.get_integration(group.integration_id)
    return present_alert_group(
        group, store.get_alert(group.last_alert_id), base(router), team_id=integration.team_id if integration else None
    )


@router.get("/alert_groups/<group_id>", responses=returns(AlertGroupOut))
def get_alert_group(group_id: str) -> dict:
    group = wiring.store().get_group(group_id)
    if group is None:
        raise NotFoundError()
    return _group_body(group)


@router.get("/alert_groups/<group_id>/timeline", responses=returns(TimelineOut))
def get_timeline(group_id: str) -> dict:
    """What happened to the group: actions, escalation steps, notifications, failures."""
    store = wiring.store()
    if store.get_group(group_id) is None:
        raise NotFoundError()
    entries = [e.model_dump(mode="json", exclude={"group_id"}) for e in store.list_timeline(group_id)]
    return TimelineOut.build(results=entries)


@router.get("/alerts", responses=paged(AlertOut))
def list_alerts(
    page: Page = 1,
    perpage: PerPage = DEFAULT_PAGE_SIZE,
    alert_group_id: Annotated[str | None, Query(max_length=64)] = None,
    id: Annotated[str | None, Query(max_length=64)] = None,  # noqa: A002 - OnCall's filter name
    search: Annotated[str | None, Query(max_length=1000, description="in the payload JSON, any case")] = None,
) -> dict:
    """Alerts, newest first. Filters: `alert_group_id`, `id`, `search` (a case-insensitive substring of the
    payload JSON). Without `alert_group_id` or `id`, the alerts of the newest 200 alert groups."""
    store = wiring.store()
    if id is not None:
        one = store.get_alert(id)
        alerts = [one] if one is not None and one.group_id and alert_group_id in (None, one.group_id) else []
    elif alert_group_id is not None:
        alerts = store.list_alerts(alert_group_id)
    else:
        alerts = [a for g in store.list_groups()[:ALERTS_SCAN_GROUPS] for a in store.list_alerts(g.id)]
    if search:
        needle = search.lower()
        alerts = [a for a in alerts if needle in _searchable(a)]
    alerts.sort(key=lambda a: (a.received_at, a.id), reverse=True)
    page_body = page_of(
        router,
        alerts,  # type: ignore[arg-type] - presented below, for the page only
        page,
        perpage,
        alert_group_id=alert_group_id,
        id=id,
        search=search,
    )
    budget = PayloadBudget()
    page_body["results"] = [present_alert(a, budget) for a in page_body["results"]]
    return page_body


def _searchable(alert) -> str:
    try:
        return json.dumps(alert.payload, ensure_ascii=False).lower()
    except (ValueError, TypeError, RecursionError):
        return ""  # a payload that cannot be written as JSON matches no search


# ------------------------------------------------------------------------------------------ actions
def _after(group_id: str) -> dict:
    """Actions answer with the group as it is now (OnCall: 200 with an empty body; scripts ignore it)."""
    return get_alert_group(group_id)


_GROUP = returns(AlertGroupOut)


@router.post("/alert_groups/<group_id>/acknowledge", responses=_GROUP)
def acknowledge_group(group_id: str) -> dict:
    """Acknowledge: the escalation stops."""
    actions.acknowledge(group_id, actor(router), wiring.action_deps())
    return _after(group_id)


@router.post("/alert_groups/<group_id>/unacknowledge", responses=_GROUP)
def unacknowledge_group(group_id: str) -> dict:
    """Unacknowledge: the escalation starts again from its first step."""
    actions.unacknowledge(group_id, actor(router), wiring.action_deps())
    return _after(group_id)


@router.post("/alert_groups/<group_id>/resolve", responses=_GROUP)
def resolve_group(group_id: str) -> dict:
    """Resolve: the escalation stops; the next alert with the same grouping key opens a new group."""
    actions.resolve(group_id, actor(router), wiring.action_deps())
    return _after(group_id)


@router.post("/alert_groups/<group_id>/unresolve", responses=_GROUP)
def unresolve_group(group_id: str) -> dict:
    """Unresolve: the escalation starts again from its first step."""
    actions.unresolve(group_id, actor(router), wiring.action_deps())
    return _after(group_id)


@router.post("/alert_groups/<group_id>/silence", responses=_GROUP)
def silence_group(group_id: str, body: SilenceRequest) -> dict:
    """Silence for `delay` seconds (-1: until unsilenced); the escalation stops meanwhile."""
    actions.silence(group_id, actor(router), wiring.action_deps(), body.delay)
    return _after(group_id)


@router.post("/alert_groups/<group_id>/unsilence", responses=_GROUP)
def unsilence_group(group_id: str) -> dict:
    """Unsilence: the escalation starts again from its first step."""
    actions.unsilence(group_id, actor(router), wiring.action_deps())
    return _after(group_id)


@router.post("/alert_groups/<group_id>/attach", responses=_GROUP)
def attach_group(group_id: str, body: AttachRequest) -> dict:
    """Attach to `root_alert_group_id`: this group follows the root's actions."""
    actions.attach(group_id, body.root_alert_group_id, actor(router), wiring.action_deps())
    return _after(group_id)


@router.post("/alert_groups/<group_id>/unattach", responses=_GROUP)
def unattach_group(group_id: str) -> dict:
    """Unattach: the group escalates on its own again."""
    actions.unattach(group_id, actor(router), wiring.action_deps())
    return _after(group_id)


@router.delete("/alert_groups/<group_id>", responses=deleted())
def delete_group(group_id: str, body: DeleteRequest | None = None):
    """`{"mode": "wipe"}` (default: resolve and blank every alert) or `{"mode": "delete"}` (remove it all)."""
    mode = body.mode if body else "wipe"
    if mode == "wipe":
        actions.wipe(group_id, actor(router), wiring.action_deps())
    else:
        actions.delete(group_id, actor(router), wiring.action_deps())
    return no_content()
