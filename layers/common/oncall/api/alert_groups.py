"""/api/v1/alert_groups and /api/v1/alerts"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from oncall import actions, wiring
from oncall.api.common import Page, PerPage, actor, base, page_of
from oncall.api_schemas import (
    AttachRequest,
    DeleteRequest,
    SilenceRequest,
    present_alert,
    present_alert_group,
)
from oncall.errors import NotFoundError, ValidationError
from oncall.labels import parse_label_filter
from oncall.pagination import DEFAULT_PAGE_SIZE

router = Router()

# The list filter's `state` values (OnCall quirk: `new` for groups that are firing).
_STATE_FILTER = {"new": "firing", "acknowledged": "acknowledged", "resolved": "resolved", "silenced": "silenced"}


@router.get("/alert_groups")
def list_alert_groups(
    page: Page = 1,
    perpage: PerPage = DEFAULT_PAGE_SIZE,
    integration_id: str | None = None,
    route_id: str | None = None,
    state: str | None = None,
    id: str | None = None,  # noqa: A002 - OnCall's filter name
) -> dict:
    wanted_state = _STATE_FILTER.get(state or "", state)
    wanted_labels = _label_filters()
    groups = [
        g
        for g in wiring.store().list_groups()
        if integration_id in (None, g.integration_id)
        and route_id in (None, g.route_id)
        and (state is None or g.state.value == wanted_state)
        and id in (None, g.id)
        and all(g.labels.get(key) == value for key, value in wanted_labels)
    ]
    url = base(router)
    results = [present_alert_group(g, None, url) for g in groups]
    page_body = page_of(
        router, results, page, perpage, integration_id=integration_id, route_id=route_id, state=state, id=id
    )
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


@router.get("/alert_groups/<group_id>")
def get_alert_group(group_id: str) -> dict:
    store = wiring.store()
    group = store.get_group(group_id)
    if group is None:
        raise NotFoundError()
    return present_alert_group(group, store.get_alert(group.last_alert_id), base(router))


@router.get("/alert_groups/<group_id>/timeline")
def get_timeline(group_id: str) -> dict:
    store = wiring.store()
    if store.get_group(group_id) is None:
        raise NotFoundError()
    return {"results": [e.model_dump(mode="json", exclude={"group_id"}) for e in store.list_timeline(group_id)]}


@router.get("/alerts")
def list_alerts(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, alert_group_id: str | None = None) -> dict:
    if alert_group_id is None:
        return page_of(router, [], page, perpage)
    alerts = sorted(wiring.store().list_alerts(alert_group_id), key=lambda a: a.received_at, reverse=True)
    return page_of(router, [present_alert(a) for a in alerts], page, perpage, alert_group_id=alert_group_id)


# ------------------------------------------------------------------------------------------ actions
def _after(group_id: str) -> dict:
    return get_alert_group(group_id)


@router.post("/alert_groups/<group_id>/acknowledge")
def acknowledge_group(group_id: str) -> dict:
    actions.acknowledge(group_id, actor(router), wiring.action_deps())
    return _after(group_id)


@router.post("/alert_groups/<group_id>/unacknowledge")
def unacknowledge_group(group_id: str) -> dict:
    actions.unacknowledge(group_id, actor(router), wiring.action_deps())
    return _after(group_id)


@router.post("/alert_groups/<group_id>/resolve")
def resolve_group(group_id: str) -> dict:
    actions.resolve(group_id, actor(router), wiring.action_deps())
    return _after(group_id)


@router.post("/alert_groups/<group_id>/unresolve")
def unresolve_group(group_id: str) -> dict:
    actions.unresolve(group_id, actor(router), wiring.action_deps())
    return _after(group_id)


@router.post("/alert_groups/<group_id>/silence")
def silence_group(group_id: str, body: SilenceRequest) -> dict:
    actions.silence(group_id, actor(router), wiring.action_deps(), body.delay)
    return _after(group_id)


@router.post("/alert_groups/<group_id>/unsilence")
def unsilence_group(group_id: str) -> dict:
    actions.unsilence(group_id, actor(router), wiring.action_deps())
    return _after(group_id)


@router.post("/alert_groups/<group_id>/attach")
def attach_group(group_id: str, body: AttachRequest) -> dict:
    actions.attach(group_id, body.root_alert_group_id, actor(router), wiring.action_deps())
    return _after(group_id)


@router.post("/alert_groups/<group_id>/unattach")
def unattach_group(group_id: str) -> dict:
    actions.unattach(group_id, actor(router), wiring.action_deps())
    return _after(group_id)


@router.delete("/alert_groups/<group_id>")
def delete_group(group_id: str, body: DeleteRequest | None = None):
    mode = body.mode if body else "wipe"
    if mode == "wipe":
        actions.wipe(group_id, actor(router), wiring.action_deps())
    else:
        actions.delete(group_id, actor(router), wiring.action_deps())
    return Response(status_code=204, content_type="application/json", body="")
