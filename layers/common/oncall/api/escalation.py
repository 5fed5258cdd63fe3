"""/api/v1/escalation_chains and /api/v1/escalation_policies"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from oncall import wiring
from oncall.api.common import Page, PerPage, RevealSecrets, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.responses import created, deleted, paged, returns
from oncall.configuration import changes as configuration
from oncall.configuration.requests import ChainCreate, ChainPatch, StepCreate, StepUpdate
from oncall.configuration.step_types import STEP_FIELDS
from oncall.models import EscalationChain, EscalationStep
from oncall.platform.bodies import ResponseBody
from oncall.platform.errors import NotFoundError
from oncall.platform.http import json_response, no_content
from oncall.platform.masking import shown_url

router = Router()


class ChainOut(ResponseBody, echoed_by=(ChainCreate, ChainPatch)):
    id: str = Field(description="F…")
    name: str
    team_id: str | None


def present_chain(chain: EscalationChain) -> dict[str, Any]:
    return ChainOut.build(id=chain.id, name=chain.name, team_id=chain.team_id)


class PolicyOut(ResponseBody, echoed_by=(StepCreate, StepUpdate)):
    """Only the fields of the step's `type` are present."""

    id: str = Field(description="E…")
    escalation_chain_id: str
    position: int
    type: str
    # The type-specific fields (configuration.step_types.STEP_FIELDS), each shown only for its types: in an
    # order that keeps every type's fields in its STEP_FIELDS order (a field before `important`).
    duration: int | None = None
    persons_to_notify: list[str] | None = None
    persons_to_notify_next_each_time: list[str] | None = None
    notify_on_call_from_schedule: str | None = None
    team_to_notify: str | None = None
    channel: str | None = None
    important: bool | None = None
    action_to_trigger: str | None = None
    notify_if_time_from: str | None = None
    notify_if_time_to: str | None = None
    num_alerts_in_window: int | None = None
    num_minutes_in_window: int | None = None


def present_step(step: EscalationStep) -> dict[str, Any]:
    fields = {name: getattr(step, name) for name in STEP_FIELDS[step.type]}
    if fields.get("channel"):
        fields["channel"] = shown_url(fields["channel"])  # channel URLs carry tokens and passwords
    return PolicyOut.build(
        id=step.id, escalation_chain_id=step.escalation_chain_id, position=step.position, type=step.type.value, **fields
    )


def _changed() -> None:
    """Forget this container's cached configuration (other containers see changes within 5 s)."""
    wiring.config().invalidate()


@router.get("/escalation_chains", responses=paged(ChainOut))
def list_chains(
    page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, name: str | None = None, team_id: str | None = None
) -> dict:
    """Escalation chains, oldest first; `name` (exact) and `team_id` filter."""
    chains = [c for c in wiring.store().list_chains() if name in (None, c.name) and team_id in (None, c.team_id)]
    return page_of(router, [present_chain(c) for c in chains], page, perpage, name=name, team_id=team_id)


@router.post("/escalation_chains", responses=created(ChainOut))
def create_chain(body: ChainCreate):
    """A new, empty chain (names are unique); add steps with POST /escalation_policies."""
    chain = configuration.create_chain(body, store=wiring.store(), clock=wiring.now_clock())
    return json_response(201, present_chain(chain))


@router.get("/escalation_chains/<chain_id>", responses=returns(ChainOut))
def get_chain(chain_id: str) -> dict:
    chain = wiring.store().get_chain(chain_id)
    if chain is None:
        raise NotFoundError()
    return present_chain(chain)


@router.put("/escalation_chains/<chain_id>", responses=returns(ChainOut))
def replace_chain(chain_id: str, body: ChainCreate) -> dict:
    """Replace the chain's name and team (an omitted team_id becomes null)."""
    return present_chain(configuration.update_chain(chain_id, body, store=wiring.store()))


@router.patch("/escalation_chains/<chain_id>", responses=returns(ChainOut))
def update_chain(chain_id: str, body: ChainPatch) -> dict:
    """Change the fields sent."""
    return present_chain(configuration.update_chain(chain_id, body, store=wiring.store()))


@router.delete("/escalation_chains/<chain_id>", responses=deleted())
def delete_chain(chain_id: str):
    """Delete the chain and its policies; routes that used it get `escalation_chain_id` null."""
    configuration.delete_chain(chain_id, store=wiring.store())
    _changed()
    return no_content()


@router.get("/escalation_policies", responses=paged(PolicyOut))
def list_steps(
    page: Page = 1,
    perpage: PerPage = DEFAULT_PAGE_SIZE,
    escalation_chain_id: str | None = None,
    reveal_secrets: RevealSecrets = False,
) -> dict:
    """Escalation policies (steps) in chain order; `escalation_chain_id` filters."""
    steps = [s for s in wiring.store().list_steps() if escalation_chain_id in (None, s.escalation_chain_id)]
    steps.sort(key=lambda s: (s.escalation_chain_id, s.position, s.id))
    return page_of(router, [present_step(s) for s in steps], page, perpage, escalation_chain_id=escalation_chain_id)


@router.post("/escalation_policies", responses=created(PolicyOut))
def create_step(body: StepCreate):
    """A step of a chain, at `position` (-1 = last); the fields depend on `type`."""
    step = configuration.create_step(body, store=wiring.store(), clock=wiring.now_clock())
    return json_response(201, present_step(step))


@router.get("/escalation_policies/<step_id>", responses=returns(PolicyOut))
def get_step(step_id: str, reveal_secrets: RevealSecrets = False) -> dict:
    step = wiring.store().get_step(step_id)
    if step is None:
        raise NotFoundError()
    return present_step(step)


@router.put("/escalation_policies/<step_id>", responses=returns(PolicyOut))
def update_step(step_id: str, body: StepUpdate) -> dict:
    """Change the fields sent (OnCall's PUT is partial); a new `type` drops the old type's fields;
    `position` moves the step."""
    return present_step(configuration.update_step(step_id, body, store=wiring.store()))


@router.patch("/escalation_policies/<step_id>", responses=returns(PolicyOut))
def patch_step(step_id: str, body: StepUpdate) -> dict:
    """Change the fields sent (as PUT)."""
    return present_step(configuration.update_step(step_id, body, store=wiring.store()))


@router.delete("/escalation_policies/<step_id>", responses=deleted())
def delete_step(step_id: str):
    configuration.delete_step(step_id, store=wiring.store())
    return no_content()
