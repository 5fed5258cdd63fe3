"""/api/v1/routes"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from oncall import wiring
from oncall.api.common import Page, PerPage, page_of
from oncall.api.responses import SlackOut, TelegramOut, created, deleted, no_slack, no_telegram, paged, returns
from oncall.configuration import changes as configuration
from oncall.configuration.requests import RouteCreate, RouteUpdate
from oncall.models import Route
from oncall.platform.bodies import ResponseBody
from oncall.platform.errors import NotFoundError
from oncall.platform.http import json_response, no_content

router = Router()


class RouteOut(ResponseBody, echoed_by=(RouteCreate, RouteUpdate)):
    id: str = Field(description="R…")
    integration_id: str
    escalation_chain_id: str | None
    routing_type: Literal["regex", "jinja2", "labels"]
    routing_regex: str | None
    routing_labels: dict[str, str]
    position: int
    is_the_last_route: bool
    slack: SlackOut
    telegram: TelegramOut


def present_route(route: Route, position: int | None = None) -> dict[str, Any]:
    """`position`: where the API shows it, if not its stored one (the default route's: see `_body`)."""
    return RouteOut.build(
        id=route.id,
        integration_id=route.integration_id,
        escalation_chain_id=route.escalation_chain_id,
        routing_type=route.routing_type,
        routing_regex=route.routing_regex,
        routing_labels=dict(sorted(route.routing_labels.items())),
        position=route.position if position is None else position,
        is_the_last_route=route.is_default,
        slack=no_slack(),
        telegram=no_telegram(),
    )


def _body(route: Route, routes: list[Route] | None = None) -> dict:
    """The route as the API shows it; the default route's `position` is after the others' (it is last)."""
    if not route.is_default:
        return present_route(route)
    siblings = wiring.store().list_routes() if routes is None else routes
    return present_route(
        route, sum(1 for r in siblings if r.integration_id == route.integration_id and not r.is_default)
    )


@router.get("/routes", responses=paged(RouteOut))
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


@router.post("/routes", responses=created(RouteOut))
def create_route(body: RouteCreate):
    """A route of an integration, at `position` (-1 = last before the default route; the others shift)."""
    route = configuration.create_route(body, store=wiring.store(), clock=wiring.now_clock())
    return json_response(201, _body(route))


@router.get("/routes/<route_id>", responses=returns(RouteOut))
def get_route(route_id: str) -> dict:
    route = wiring.store().get_route(route_id)
    if route is None:
        raise NotFoundError()
    return _body(route)


@router.put("/routes/<route_id>", responses=returns(RouteOut))
def replace_route(route_id: str, body: RouteUpdate) -> dict:
    """Change the fields sent (as PATCH); the default route takes only `escalation_chain_id`."""
    return _body(configuration.update_route(route_id, body, store=wiring.store()))


@router.patch("/routes/<route_id>", responses=returns(RouteOut))
def update_route(route_id: str, body: RouteUpdate) -> dict:
    """Change the fields sent; `position` moves the route."""
    return _body(configuration.update_route(route_id, body, store=wiring.store()))


@router.delete("/routes/<route_id>", responses=deleted())
def delete_route(route_id: str):
    """Delete a route (the default route cannot be deleted: 400)."""
    configuration.delete_route(route_id, store=wiring.store())
    return no_content()
