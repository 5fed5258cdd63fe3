"""The management API, /api/v1/… (OnCall public API v1 shapes). Auth: `Authorization: <token>`."""

from typing import Annotated

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.typing import LambdaContext
from oncall import configuration, wiring
from oncall.api_schemas import (
    ChainCreate,
    DemoAlertRequest,
    IntegrationCreate,
    RouteCreate,
    StepCreate,
    present_alert,
    present_alert_group,
    present_chain,
    present_integration,
    present_route,
    present_step,
)
from oncall.auth import authenticate, require_role
from oncall.demo import send_demo_alert
from oncall.errors import NotFoundError
from oncall.models import ApiTokenRole
from oncall.pagination import DEFAULT_PAGE_SIZE, paginate
from oncall.settings import get_settings
from oncall.web import (
    HttpResolver,
    base_url,
    header,
    json_response,
    register_error_map,
    register_validation_errors,
)

logger = Logger()
metrics = Metrics()
app = HttpResolver(enable_validation=True)
register_error_map(app, logger)
register_validation_errors(app)

Page = Annotated[int, Query(ge=1)]
PerPage = Annotated[int, Query(ge=1, le=1000)]


def _bootstrap_token() -> str | None:
    arn = get_settings().admin_token_secret_arn
    return parameters.get_secret(arn, max_age=300) if arn else None


def authorize(app: HttpResolver, next_middleware: NextMiddleware):
    token = authenticate(
        header(app.current_event.raw_event, "authorization"), store=wiring.store(), bootstrap_token=_bootstrap_token
    )
    read_only = app.current_event.http_method in ("GET", "HEAD", "OPTIONS")
    require_role(token, ApiTokenRole.VIEWER if read_only else ApiTokenRole.EDITOR)
    return next_middleware(app)


app.use(middlewares=[authorize])


def _base() -> str:
    return base_url(app.current_event.raw_event, get_settings().public_base_url)


def _page(items: list[dict], page: int, perpage: int, **filters: str | None) -> dict:
    url = f"{_base()}{app.current_event.path.rstrip('/')}/"
    return paginate(
        items, page=page, perpage=perpage, url=url, query={k: v for k, v in filters.items() if v is not None}
    )


# ------------------------------------------------------------------------------------------ integrations
def _integration_body(integration) -> dict:
    return present_integration(integration, wiring.store().get_route(integration.default_route_id), _base())


@app.get("/api/v1/integrations")
def list_integrations(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, name: str | None = None) -> dict:
    integrations = [i for i in wiring.store().list_integrations() if name is None or i.name == name]
    return _page([_integration_body(i) for i in integrations], page, perpage, name=name)


@app.post("/api/v1/integrations")
def create_integration(body: IntegrationCreate):
    integration, route = configuration.create_integration(body, store=wiring.store(), clock=wiring.now_clock())
    metrics.add_metric(name="IntegrationsCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, present_integration(integration, route, _base()))


@app.get("/api/v1/integrations/<integration_id>")
def get_integration(integration_id: str) -> dict:
    integration = wiring.store().get_integration(integration_id)
    if integration is None:
        raise NotFoundError()
    return _integration_body(integration)


@app.post("/api/v1/integrations/<integration_id>/send_demo_alert")
def demo_alert(integration_id: str, body: DemoAlertRequest | None = None):
    alert = send_demo_alert(
        integration_id,
        body.demo_alert_payload if body else None,
        request_id=app.current_event.request_context.request_id,
        store=wiring.store(),
        queue=wiring.alert_queue(),
        clock=wiring.now_clock(),
    )
    metrics.add_metric(name="DemoAlertsSent", unit=MetricUnit.Count, value=1)
    return json_response(200, {"alert_id": alert.id})


# ------------------------------------------------------------------------------------------ routes
@app.get("/api/v1/routes")
def list_routes(page: Page = 1, perpage: PerPage = 25, integration_id: str | None = None) -> dict:
    routes = [r for r in wiring.store().list_routes() if integration_id is None or r.integration_id == integration_id]
    routes.sort(key=lambda r: (r.integration_id, r.is_default, r.position, r.id))
    return _page([present_route(r) for r in routes], page, perpage, integration_id=integration_id)


@app.post("/api/v1/routes")
def create_route(body: RouteCreate):
    route = configuration.create_route(body, store=wiring.store(), clock=wiring.now_clock())
    return json_response(201, present_route(route))


@app.get("/api/v1/routes/<route_id>")
def get_route(route_id: str) -> dict:
    route = wiring.store().get_route(route_id)
    if route is None:
        raise NotFoundError()
    return present_route(route)


# ------------------------------------------------------------------------------------------ escalation
@app.get("/api/v1/escalation_chains")
def list_chains(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, name: str | None = None) -> dict:
    chains = [c for c in wiring.store().list_chains() if name is None or c.name == name]
    return _page([present_chain(c) for c in chains], page, perpage, name=name)


@app.post("/api/v1/escalation_chains")
def create_chain(body: ChainCreate):
    chain = configuration.create_chain(body, store=wiring.store(), clock=wiring.now_clock())
    return json_response(201, present_chain(chain))


@app.get("/api/v1/escalation_chains/<chain_id>")
def get_chain(chain_id: str) -> dict:
    chain = wiring.store().get_chain(chain_id)
    if chain is None:
        raise NotFoundError()
    return present_chain(chain)


@app.get("/api/v1/escalation_policies")
def list_steps(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, escalation_chain_id: str | None = None) -> dict:
    steps = [
        s
        for s in wiring.store().list_steps()
        if escalation_chain_id is None or s.escalation_chain_id == escalation_chain_id
    ]
    steps.sort(key=lambda s: (s.escalation_chain_id, s.position, s.id))
    return _page([present_step(s) for s in steps], page, perpage, escalation_chain_id=escalation_chain_id)


@app.post("/api/v1/escalation_policies")
def create_step(body: StepCreate):
    step = configuration.create_step(body, store=wiring.store(), clock=wiring.now_clock())
    return json_response(201, present_step(step))


# ------------------------------------------------------------------------------------------ alert groups
_STATE_FILTER = {"new": "firing", "acknowledged": "acknowledged", "resolved": "resolved", "silenced": "silenced"}


@app.get("/api/v1/alert_groups")
def list_alert_groups(
    page: Page = 1,
    perpage: PerPage = DEFAULT_PAGE_SIZE,
    integration_id: str | None = None,
    route_id: str | None = None,
    state: str | None = None,
    id: str | None = None,  # noqa: A002 - OnCall's filter name
) -> dict:
    wanted_state = _STATE_FILTER.get(state or "", state)
    groups = [
        g
        for g in wiring.store().list_groups()
        if (integration_id is None or g.integration_id == integration_id)
        and (route_id is None or g.route_id == route_id)
        and (state is None or g.state.value == wanted_state)
        and (id is None or g.id == id)
    ]
    base = _base()
    results = [present_alert_group(g, None, base) for g in groups]
    return _page(results, page, perpage, integration_id=integration_id, route_id=route_id, state=state, id=id)


@app.get("/api/v1/alert_groups/<group_id>")
def get_alert_group(group_id: str) -> dict:
    store = wiring.store()
    group = store.get_group(group_id)
    if group is None:
        raise NotFoundError()
    return present_alert_group(group, store.get_alert(group.last_alert_id), _base())


@app.get("/api/v1/alert_groups/<group_id>/timeline")
def get_timeline(group_id: str) -> dict:
    store = wiring.store()
    if store.get_group(group_id) is None:
        raise NotFoundError()
    entries = store.list_timeline(group_id)
    return {"results": [e.model_dump(mode="json", exclude={"group_id"}) for e in entries]}


@app.get("/api/v1/alerts")
def list_alerts(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, alert_group_id: str | None = None) -> dict:
    if alert_group_id is None:
        return _page([], page, perpage)
    alerts = sorted(wiring.store().list_alerts(alert_group_id), key=lambda a: a.received_at, reverse=True)
    return _page([present_alert(a) for a in alerts], page, perpage, alert_group_id=alert_group_id)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
