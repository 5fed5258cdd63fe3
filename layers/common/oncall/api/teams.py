"""/api/v1/teams (membership is the users' `teams` field)"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import Field

from oncall import wiring
from oncall.api.common import Page, PerPage, metrics, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.responses import created, deleted, paged, returns
from oncall.models import Team
from oncall.people import users as people
from oncall.people.requests import TeamWrite
from oncall.platform.bodies import ResponseBody
from oncall.platform.http import json_response, no_content

router = Router()


class TeamOut(ResponseBody, echoed_by=(TeamWrite,)):
    id: str = Field(description="T…")
    name: str
    email: str | None
    avatar_url: str | None
    members: list[str] | None = None


def present_team(team: Team, member_ids: list[str] | None = None) -> dict[str, Any]:
    """`members` (user ids) only when given (a team's own page; lists leave it out)."""
    members = {} if member_ids is None else {"members": member_ids}
    return TeamOut.build(id=team.id, name=team.name, email=team.email, avatar_url=None, **members)


@router.get("/teams", responses=paged(TeamOut))
def list_teams(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, name: str | None = None) -> dict:
    """Teams by name; `name` (exact) filters."""
    teams = [t for t in wiring.store().list_teams() if name is None or t.name == name]
    return page_of(router, [present_team(t) for t in teams], page, perpage, name=name)


@router.post("/teams", responses=created(TeamOut))
def create_team(body: TeamWrite):
    team = people.create_team(body, store=wiring.store(), clock=wiring.now_clock())
    metrics.add_metric(name="TeamsCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, present_team(team, []))


@router.get("/teams/<team_id>", responses=returns(TeamOut))
def get_team(team_id: str) -> dict:
    """A team with its `members` (user ids)."""
    store = wiring.store()
    return present_team(people.get_team(store, team_id), people.team_member_ids(store, team_id))


@router.put("/teams/<team_id>", responses=returns(TeamOut))
def replace_team(team_id: str, body: TeamWrite) -> dict:
    store = wiring.store()
    team = people.replace_team(team_id, body, store=store)
    return present_team(team, people.team_member_ids(store, team_id))


@router.delete("/teams/<team_id>", responses=deleted())
def delete_team(team_id: str):
    """Delete a team (it is removed from its users and schedules)."""
    people.delete_team(team_id, store=wiring.store())
    return no_content()
