"""Creating and changing configuration (integrations, routes, chains, steps), with OnCall's rules: every
integration gets a default route, names are unique, templates and route terms must compile, positions
shift to make room."""

from __future__ import annotations

import regex

from oncall import ids
from oncall.api_schemas import (
    ChainCreate,
    IntegrationCreate,
    RouteCreate,
    StepCreate,
    public_templates_to_slots,
)
from oncall.clock import Clock
from oncall.errors import ValidationError
from oncall.integration_types import INTEGRATION_TYPES, get_type
from oncall.models import EscalationChain, EscalationStep, Integration, Route, StepType
from oncall.store import Store
from oncall.templating import check_syntax

DEFAULT_WAIT_SECONDS = 300


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", {field: [message]})


def _require_chain(store: Store, chain_id: str | None, field: str = "escalation_chain_id") -> None:
    if chain_id is not None and store.get_chain(chain_id) is None:
        raise _field_error(field, f"Escalation chain {chain_id} does not exist.")


def validate_template_overrides(slots: dict[str, str | None]) -> None:
    problems = {slot: [error] for slot, text in slots.items() if text and (error := check_syntax(text))}
    if problems:
        raise ValidationError("Invalid template.", {"templates": [f"{k}: {v[0]}" for k, v in problems.items()]})


def create_integration(request: IntegrationCreate, *, store: Store, clock: Clock) -> tuple[Integration, Route]:
    kind = get_type(request.type)
    if kind is None or not kind.creatable:
        creatable = ", ".join(sorted(t.slug for t in INTEGRATION_TYPES.values() if t.creatable))
        raise _field_error("type", f"'{request.type}' is not a valid integration type (one of: {creatable}).")
    name = request.name or kind.title
    if any(i.name == name and i.team_id == request.team_id for i in store.list_integrations()):
        raise _field_error("name", f"An integration named '{name}' already exists.")
    slots = public_templates_to_slots(request.templates or {})
    validate_template_overrides(slots)
    chain_id = request.default_route.escalation_chain_id if request.default_route else None
    _require_chain(store, chain_id, "default_route")
    now = clock.now()
    integration_id = ids.public_id(ids.PREFIX_INTEGRATION)
    route = Route(
        id=ids.public_id(ids.PREFIX_ROUTE),
        integration_id=integration_id,
        position=0,
        is_default=True,
        escalation_chain_id=chain_id,
        created_at=now,
    )
    integration = Integration(
        id=integration_id,
        name=name,
        type=kind.slug,
        token=ids.integration_token(),
        team_id=request.team_id,
        description_short=request.description_short,
        templates={k: v for k, v in slots.items() if v},
        default_route_id=route.id,
        created_at=now,
    )
    store.create_integration(integration, route)
    return integration, route


def _check_route_term(routing_type: str, term: str) -> None:
    if routing_type == "regex":
        try:
            regex.compile(term)
        except regex.error as error:
            raise _field_error("routing_regex", f"Invalid regular expression: {error}.") from error
    elif routing_type == "jinja2" and (error := check_syntax(term)):
        raise _field_error("routing_regex", error)


def create_route(request: RouteCreate, *, store: Store, clock: Clock) -> Route:
    if store.get_integration(request.integration_id) is None:
        raise _field_error("integration_id", f"Integration {request.integration_id} does not exist.")
    _require_chain(store, request.escalation_chain_id)
    _check_route_term(request.routing_type, request.routing_regex)
    siblings = sorted(
        (r for r in store.list_routes() if r.integration_id == request.integration_id and not r.is_default),
        key=lambda r: (r.position, r.id),
    )
    position = len(siblings) if request.position < 0 or request.position > len(siblings) else request.position
    for sibling in siblings[position:]:
        store.put_route(sibling.model_copy(update={"position": sibling.position + 1}))
    route = Route(
        id=ids.public_id(ids.PREFIX_ROUTE),
        integration_id=request.integration_id,
        position=position,
        routing_type=request.routing_type,
        routing_regex=request.routing_regex,
        escalation_chain_id=request.escalation_chain_id,
        created_at=clock.now(),
    )
    store.put_route(route)
    return route


def create_chain(request: ChainCreate, *, store: Store, clock: Clock) -> EscalationChain:
    if any(c.name == request.name for c in store.list_chains()):
        raise _field_error("name", f"An escalation chain named '{request.name}' already exists.")
    chain = EscalationChain(
        id=ids.public_id(ids.PREFIX_CHAIN), name=request.name, team_id=request.team_id, created_at=clock.now()
    )
    store.put_chain(chain)
    return chain


def create_step(request: StepCreate, *, store: Store, clock: Clock) -> EscalationStep:
    if store.get_chain(request.escalation_chain_id) is None:
        raise _field_error("escalation_chain_id", f"Escalation chain {request.escalation_chain_id} does not exist.")
    step_type = StepType(request.type)
    if step_type == StepType.NOTIFY_CHANNEL and not request.channel:
        raise _field_error("channel", "notify_channel steps need a channel (an Apprise URL or outbox://).")
    siblings = sorted(
        (s for s in store.list_steps() if s.escalation_chain_id == request.escalation_chain_id),
        key=lambda s: (s.position, s.id),
    )
    position = len(siblings) if request.position < 0 or request.position > len(siblings) else request.position
    for sibling in siblings[position:]:
        store.put_step(sibling.model_copy(update={"position": sibling.position + 1}))
    step = EscalationStep(
        id=ids.public_id(ids.PREFIX_POLICY),
        escalation_chain_id=request.escalation_chain_id,
        position=position,
        type=step_type,
        duration=(request.duration or DEFAULT_WAIT_SECONDS) if step_type == StepType.WAIT else None,
        channel=request.channel if step_type == StepType.NOTIFY_CHANNEL else None,
        important=request.important,
        created_at=clock.now(),
    )
    store.put_step(step)
    return step
