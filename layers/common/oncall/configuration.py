"""Creating and changing configuration (integrations, routes, chains, steps), with OnCall's rules: every
integration gets a default route, names are unique, templates and route terms must compile, positions
shift to make room."""

from __future__ import annotations

from typing import Any

import regex

from oncall import ids
from oncall.api_schemas import (
    STEP_FIELDS,
    ChainCreate,
    IntegrationCreate,
    RouteCreate,
    SettingsUpdate,
    StepCreate,
    StepUpdate,
    public_templates_to_slots,
)
from oncall.clock import Clock
from oncall.errors import NotFoundError, ValidationError
from oncall.escalation import DEFAULT_WAIT_SECONDS, format_utc_time, parse_utc_time
from oncall.integration_types import INTEGRATION_TYPES, get_type
from oncall.models import DeploymentSettings, EscalationChain, EscalationStep, Integration, Route, StepType
from oncall.store import Store
from oncall.templating import check_syntax


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


def _validated_step_fields(step_type: StepType, fields: dict[str, Any], store: Store) -> dict[str, Any]:
    """The fields of a step of `step_type` (others dropped), checked against the configuration; errors name
    the field."""
    values = {name: fields.get(name) for name in STEP_FIELDS[step_type]}

    def require(name: str, message: str) -> Any:
        if values.get(name) in (None, "", []):
            raise _field_error(name, message)
        return values[name]

    def users_exist(name: str) -> None:
        user_ids = list(dict.fromkeys(require(name, "Name at least one user id.")))
        unknown = [u for u in user_ids if store.get_user(u) is None]
        if unknown:
            raise _field_error(name, f"Unknown user(s): {', '.join(unknown)}.")
        values[name] = user_ids

    match step_type:
        case StepType.WAIT:
            values["duration"] = values["duration"] or DEFAULT_WAIT_SECONDS
        case StepType.NOTIFY_CHANNEL:
            require("channel", "notify_channel steps need a channel (an Apprise URL or outbox://).")
        case StepType.NOTIFY_PERSONS:
            users_exist("persons_to_notify")
        case StepType.NOTIFY_PERSON_NEXT_EACH_TIME:
            users_exist("persons_to_notify_next_each_time")
        case StepType.NOTIFY_ON_CALL_FROM_SCHEDULE:
            schedule_id = require("notify_on_call_from_schedule", "Name the schedule whose on-call users to notify.")
            if store.get_schedule(schedule_id) is None:
                raise _field_error("notify_on_call_from_schedule", f"Schedule {schedule_id} does not exist.")
        case StepType.NOTIFY_TEAM_MEMBERS:
            team_id = require("team_to_notify", "Name the team whose members to notify.")
            if store.get_team(team_id) is None:
                raise _field_error("team_to_notify", f"Team {team_id} does not exist.")
        case StepType.TRIGGER_WEBHOOK:
            require("action_to_trigger", "Name the outgoing webhook to trigger.")
        case StepType.NOTIFY_IF_TIME_FROM_TO:
            for name in ("notify_if_time_from", "notify_if_time_to"):
                text = require(name, "A UTC time like 09:00:00Z is required.")
                try:
                    values[name] = format_utc_time(parse_utc_time(text))
                except ValueError as error:
                    raise _field_error(name, f"{error}.") from error
        case StepType.NOTIFY_IF_NUM_ALERTS_IN_WINDOW:
            require("num_alerts_in_window", "How many alerts (X) the window must exceed to continue.")
            require("num_minutes_in_window", "The window (Y) in minutes, 1-1440.")
    if "important" in values:
        values["important"] = bool(values["important"])
    return values


def _chain_steps(store: Store, chain_id: str, *, without: str | None = None) -> list[EscalationStep]:
    return sorted(
        (s for s in store.list_steps() if s.escalation_chain_id == chain_id and s.id != without),
        key=lambda s: (s.position, s.id),
    )


def _place_step(store: Store, step: EscalationStep, position: int | None) -> EscalationStep:
    """Put `step` at `position` (-1 or past the end = last) and renumber the chain 0..n-1."""
    siblings = _chain_steps(store, step.escalation_chain_id, without=step.id)
    index = len(siblings) if position is None or position < 0 or position > len(siblings) else position
    ordered = [*siblings[:index], step, *siblings[index:]]
    placed = step
    for number, item in enumerate(ordered):
        if item is step:
            placed = step.model_copy(update={"position": number})
            store.put_step(placed)
        elif item.position != number:
            store.put_step(item.model_copy(update={"position": number}))
    return placed


def create_step(request: StepCreate, *, store: Store, clock: Clock) -> EscalationStep:
    if store.get_chain(request.escalation_chain_id) is None:
        raise _field_error("escalation_chain_id", f"Escalation chain {request.escalation_chain_id} does not exist.")
    step_type = StepType(request.type)
    fields = _validated_step_fields(step_type, request.model_dump(), store)
    step = EscalationStep(
        id=ids.public_id(ids.PREFIX_POLICY),
        escalation_chain_id=request.escalation_chain_id,
        position=0,
        type=step_type,
        created_at=clock.now(),
        **fields,
    )
    return _place_step(store, step, request.position)


def update_step(step_id: str, request: StepUpdate, *, store: Store) -> EscalationStep:
    """Change the fields sent (OnCall's PUT is partial); a new type keeps only the fields it has."""
    current = store.get_step(step_id)
    if current is None:
        raise NotFoundError()
    step_type = StepType(request.type) if request.type else current.type
    sent = request.model_dump(exclude_unset=True, exclude={"type", "position"})
    merged = {**current.model_dump(), **{k: v for k, v in sent.items() if v is not None}}
    fields = _validated_step_fields(step_type, merged, store)
    cleared = {name: EscalationStep.model_fields[name].get_default(call_default_factory=True) for name in _ALL_FIELDS}
    step = current.model_copy(update={**cleared, "type": step_type, **fields})
    if request.position is None:
        ordered = _chain_steps(store, current.escalation_chain_id)
        position = next(i for i, s in enumerate(ordered) if s.id == step_id)
    else:
        position = request.position
    return _place_step(store, step, position)


def delete_step(step_id: str, *, store: Store) -> None:
    step = store.get_step(step_id)
    if step is None:
        raise NotFoundError()
    store.delete_step(step_id)
    for number, item in enumerate(_chain_steps(store, step.escalation_chain_id)):
        if item.position != number:
            store.put_step(item.model_copy(update={"position": number}))


_ALL_FIELDS = sorted({name for names in STEP_FIELDS.values() for name in names})


def update_settings(request: SettingsUpdate, *, store: Store) -> DeploymentSettings:
    current = store.get_deployment_settings()
    updated = current.model_copy(update=request.model_dump(exclude_unset=True, exclude_none=True))
    if updated.unacknowledge_timeout and not updated.acknowledge_remind_timeout:
        raise _field_error(
            "unacknowledge_timeout", "Auto-unacknowledge follows a reminder: set acknowledge_remind_timeout too."
        )
    store.put_deployment_settings(updated)
    return updated
