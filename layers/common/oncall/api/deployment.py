"""/api/v1/info and /api/v1/organizations: what OnCall scripts ask first. A deployment is one organization."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from oncall import VERSION
from oncall.api import shapes
from oncall.api.common import Page, PerPage, base, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.platform import ids
from oncall.platform.errors import NotFoundError
from oncall.platform.settings import get_settings

router = Router()

ORGANIZATION_NAME = "Serverless OnCall"


def organization() -> dict:
    """The one organization: its id is derived from the deployment's table, so it never changes."""
    return {"id": ids.derived_public_id(ids.PREFIX_ORGANIZATION, get_settings().table_name), "name": ORGANIZATION_NAME}


@router.get("/info", responses=shapes.returns(shapes.InfoOut))
def info():
    """The deployment's base URL and version."""
    return {"url": base(router), "version": VERSION}


@router.get("/organizations", responses=shapes.page(shapes.OrganizationOut))
def list_organizations(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE):
    """The deployment's one organization."""
    return page_of(router, [organization()], page, perpage)


@router.get("/organizations/<organization_id>", responses=shapes.returns(shapes.OrganizationOut))
def get_organization(organization_id: str):
    found = organization()
    if organization_id != found["id"]:
        raise NotFoundError()
    return found
