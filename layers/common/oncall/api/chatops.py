"""/api/v1/user_groups and /api/v1/slack_channels: OnCall's Slack-backed lists. This service has no Slack
workspace connection (Slack is an Apprise channel URL here), so both are always empty lists in OnCall's page
shape, and a user group by id is a 404: scripts and the Terraform provider that read them get an answer
they understand rather than a 404 on the list itself."""

from __future__ import annotations

from typing import Literal

from aws_lambda_powertools.event_handler.api_gateway import Router

from oncall.api.common import Page, PerPage, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.responses import paged, returns
from oncall.platform.bodies import ResponseBody
from oncall.platform.errors import NotFoundError

router = Router()


# OnCall's shapes, for the document: no answer here has one (the lists are empty, a group by id is a 404).
class UserGroupSlackOut(ResponseBody):
    id: str
    name: str
    handle: str


class UserGroupOut(ResponseBody):
    id: str
    type: Literal["slack_based"]
    slack: UserGroupSlackOut


class SlackChannelOut(ResponseBody):
    name: str
    slack_id: str


@router.get("/user_groups", responses=paged(UserGroupOut))
def list_user_groups(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, slack_handle: str | None = None) -> dict:
    """Slack user groups: none (no Slack workspace is connected here; notify a channel URL instead)."""
    return page_of(router, [], page, perpage, slack_handle=slack_handle)


@router.get("/user_groups/<group_id>", responses=returns(UserGroupOut))
def get_user_group(group_id: str) -> dict:
    raise NotFoundError()


@router.get("/slack_channels", responses=paged(SlackChannelOut))
def list_slack_channels(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, channel_name: str | None = None) -> dict:
    """Slack channels: none (no Slack workspace is connected here)."""
    return page_of(router, [], page, perpage, channel_name=channel_name)
