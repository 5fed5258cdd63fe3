"""/api/v1/info and /api/v1/organizations: what OnCall scripts ask first. A deployment is one organization."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from oncall import VERSION
from oncall.api.common import Page, PerPage, base, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.responses import paged, returns
from oncall.platform import ids
from oncall.platform.bodies import ResponseBody
from oncall.platform.errors import NotFoundError
from oncall.platform.settings import get_settings

router = Router()


class InfoOut(ResponseBody):
    url: str
    version: str


class OrganizationOut(ResponseBody):
    id: str = Field(description="O…")
    name: str


ORGANIZATION_NAME = "Serverless OnCall"


def organization() -> dict:
    """The one organization: its id is derived from the deployment's table, so it never changes."""
    organization_id = ids.derived_public_id(ids.PREFIX_ORGANIZATION, get_settings().table_name)
    return OrganizationOut.build(id=organization_id, name=ORGANIZATION_NAME)


@router.get("/info", responses=returns(InfoOut))
def info():
    """The deployment's base URL and version."""
    return InfoOut.build(url=base(router), version=VERSION)


@router.get("/organizations", responses=paged(OrganizationOut))
def list_organizations(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE):
    """The deployment's one organization."""
    return page_of(router, [organization()], page, perpage)


@router.get("/organizations/<organization_id>", responses=returns(OrganizationOut))
def get_organization(organization_id: str):
    found = organization()
    if organization_id != found["id"]:
        raise NotFoundError()
    return found
