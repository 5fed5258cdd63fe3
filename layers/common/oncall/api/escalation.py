"""/api/v1/escalation_chains and /api/v1/escalation_policies"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from oncall import configuration, wiring
from oncall.api.common import Page, PerPage, page_of
from oncall.api_schemas import ChainCreate, StepCreate, StepUpdate, present_chain, present_step
from oncall.errors import NotFoundError
from oncall.pagination import DEFAULT_PAGE_SIZE
from oncall.web import json_response, no_content

router = Router()


@router.get("/escalation_chains")
def list_chains(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, name: str | None = None) -> dict:
    chains = [c for c in wiring.store().list_chains() if name in (None, c.name)]
    return page_of(router, [present_chain(c) for c in chains], page, perpage, name=name)


@router.post("/escalation_chains")
def create_chain(body: ChainCreate):
    chain = configuration.create_chain(body, store=wiring.store(), clock=wiring.now_clock())
    return json_response(201, present_chain(chain))


@router.get("/escalation_chains/<chain_id>")
def get_chain(chain_id: str) -> dict:
    chain = wiring.store().get_chain(chain_id)
    if chain is None:
        raise NotFoundError()
    return present_chain(chain)


@router.get("/escalation_policies")
def list_steps(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, escalation_chain_id: str | None = None) -> dict:
    steps = [s for s in wiring.store().list_steps() if escalation_chain_id in (None, s.escalation_chain_id)]
    steps.sort(key=lambda s: (s.escalation_chain_id, s.position, s.id))
    return page_of(router, [present_step(s) for s in steps], page, perpage, escalation_chain_id=escalation_chain_id)


@router.post("/escalation_policies")
def create_step(body: StepCreate):
    step = configuration.create_step(body, store=wiring.store(), clock=wiring.now_clock())
    return json_response(201, present_step(step))


@router.get("/escalation_policies/<step_id>")
def get_step(step_id: str) -> dict:
    step = wiring.store().get_step(step_id)
    if step is None:
        raise NotFoundError()
    return present_step(step)


@router.put("/escalation_policies/<step_id>")
def update_step(step_id: str, body: StepUpdate) -> dict:
    return present_step(configuration.update_step(step_id, body, store=wiring.store()))


@router.delete("/escalation_policies/<step_id>")
def delete_step(step_id: str):
    configuration.delete_step(step_id, store=wiring.store())
    return no_content()
