"""/api/v1/routes"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from oncall import wiring
from oncall.api import shapes
from oncall.api.common import Page, PerPage, page_of
from oncall.api.schemas import RouteCreate, RouteUpdate, present_route
from oncall.configuration import changes as configuration
from oncall.models import Route
from oncall.platform.errors import NotFoundError
from oncall.platform.http import json_response, no_content

router = Router()


def _body(route: Route, routes: list[Route] | None = None) -> dict:
    """The route as the API shows it; the default route's `position` is after the others' (it is last)."""
    body = present_route(route)
    if route.is_default:
        siblings = wiring.store().list_routes() if routes is None else routes
        body["position"] = sum(1 for r in siblings if r.integration_id == route.integration_id and not r.is_default)
    return body


@router.get("/routes", responses=shapes.page(shapes.RouteOut))
def list_routes(
    page: Page = 1, perpage: PerPage = 25, integration_id: str | None = None, routing_regex: str | None = None
) -> dict:
    """Routes in evaluation order per integration (the default route last); `integration_id` and
    `routing_regex` (exact) filter."""
    every = wiring.store().list_routes()
    routes = [
        r for r in every if integration_id in (None, r.integration_id) and routing_regex in (None, r.routing_regex)
    ]
    routes.sort(key=lambda r: (r.integration_id, r.is_default, r.position, r.id))
    return page_of(
        router,
        [_body(r, every) for r in routes],
        page,
        perpage,
        integration_id=integration_id,
        routing_regex=routing_regex,
    )


@router.post("/routes", responses=shapes.created(shapes.RouteOut))
def create_route(body: RouteCreate):
    """A route of an integration, at `position` (-1 = last before the default route; the others shift)."""
    route = configuration.create_route(body, store=wiring.store(), clock=wiring.now_clock())
    return json_response(201, _body(route))


@router.get("/routes/<route_id>", responses=shapes.returns(shapes.RouteOut))
def get_route(route_id: str) -> dict:
    route = wiring.store().get_route(route_id)
    if route is None:
        raise NotFoundError()
    return _body(route)


@router.put("/routes/<route_id>", responses=shapes.returns(shapes.RouteOut))
def replace_route(route_id: str, body: RouteUpdate) -> dict:
    """Change the fields sent (as PATCH); the default route takes only `escalation_chain_id`."""
    return _body(configuration.update_route(route_id, body, store=wiring.store()))


@router.patch("/routes/<route_id>", responses=shapes.returns(shapes.RouteOut))
def update_route(route_id: str, body: RouteUpdate) -> dict:
    """Change the fields sent; `position` moves the route."""
    return _body(configuration.update_route(route_id, body, store=wiring.store()))


@router.delete("/routes/<route_id>", responses=shapes.deleted())
def delete_route(route_id: str):
    """Delete a route (the default route cannot be deleted: 400)."""
    configuration.delete_route(route_id, store=wiring.store())
    return no_content()
