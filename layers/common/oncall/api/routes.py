"""/api/v1/routes"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from oncall import configuration, wiring
from oncall.api.common import Page, PerPage, page_of
from oncall.api_schemas import RouteCreate, RouteUpdate, present_route
from oncall.errors import NotFoundError
from oncall.web import json_response

router = Router()


@router.get("/routes")
def list_routes(
    page: Page = 1, perpage: PerPage = 25, integration_id: str | None = None, routing_regex: str | None = None
) -> dict:
    routes = [
        r
        for r in wiring.store().list_routes()
        if integration_id in (None, r.integration_id) and routing_regex in (None, r.routing_regex)
    ]
    routes.sort(key=lambda r: (r.integration_id, r.is_default, r.position, r.id))
    return page_of(
        router,
        [present_route(r) for r in routes],
        page,
        perpage,
        integration_id=integration_id,
        routing_regex=routing_regex,
    )


@router.post("/routes")
def create_route(body: RouteCreate):
    route = configuration.create_route(body, store=wiring.store(), clock=wiring.now_clock())
    return json_response(201, present_route(route))


@router.get("/routes/<route_id>")
def get_route(route_id: str) -> dict:
    route = wiring.store().get_route(route_id)
    if route is None:
        raise NotFoundError()
    return present_route(route)


@router.put("/routes/<route_id>")
def replace_route(route_id: str, body: RouteUpdate) -> dict:
    return present_route(configuration.update_route(route_id, body, store=wiring.store()))


@router.patch("/routes/<route_id>")
def update_route(route_id: str, body: RouteUpdate) -> dict:
    return present_route(configuration.update_route(route_id, body, store=wiring.store()))


@router.delete("/routes/<route_id>")
def delete_route(route_id: str):
    configuration.delete_route(route_id, store=wiring.store())
    return Response(status_code=204, content_type="application/json", body="")
