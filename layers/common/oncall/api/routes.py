"""/api/v1/routes"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from oncall import configuration, wiring
from oncall.api.common import Page, PerPage, page_of
from oncall.api_schemas import RouteCreate, present_route
from oncall.errors import NotFoundError
from oncall.web import json_response

router = Router()


@router.get("/routes")
def list_routes(page: Page = 1, perpage: PerPage = 25, integration_id: str | None = None) -> dict:
    routes = [r for r in wiring.store().list_routes() if integration_id in (None, r.integration_id)]
    routes.sort(key=lambda r: (r.integration_id, r.is_default, r.position, r.id))
    return page_of(router, [present_route(r) for r in routes], page, perpage, integration_id=integration_id)


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
