"""/api/v1/teams (membership is the users' `teams` field)"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit

from oncall import wiring
from oncall.api import shapes
from oncall.api.common import Page, PerPage, metrics, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.schemas import TeamWrite, present_team
from oncall.people import users as people
from oncall.platform.http import json_response, no_content

router = Router()


@router.get("/teams", responses=shapes.page(shapes.TeamOut))
def list_teams(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, name: str | None = None) -> dict:
    """Teams by name; `name` (exact) filters."""
    teams = [t for t in wiring.store().list_teams() if name is None or t.name == name]
    return page_of(router, [present_team(t) for t in teams], page, perpage, name=name)


@router.post("/teams", responses=shapes.created(shapes.TeamOut))
def create_team(body: TeamWrite):
    team = people.create_team(body, store=wiring.store(), clock=wiring.now_clock())
    metrics.add_metric(name="TeamsCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, present_team(team, []))


@router.get("/teams/<team_id>", responses=shapes.returns(shapes.TeamOut))
def get_team(team_id: str) -> dict:
    """A team with its `members` (user ids)."""
    store = wiring.store()
    return present_team(people.get_team(store, team_id), people.team_member_ids(store, team_id))


@router.put("/teams/<team_id>", responses=shapes.returns(shapes.TeamOut))
def replace_team(team_id: str, body: TeamWrite) -> dict:
    store = wiring.store()
    team = people.replace_team(team_id, body, store=store)
    return present_team(team, people.team_member_ids(store, team_id))


@router.delete("/teams/<team_id>", responses=shapes.deleted())
def delete_team(team_id: str):
    """Delete a team (it is removed from its users and schedules)."""
    people.delete_team(team_id, store=wiring.store())
    return no_content()
