"""Creating and changing configuration (integrations, routes, chains, steps), with OnCall's rules: every
integration gets a default route that always exists, names are unique, templates and route terms must
compile (checked by the renderer and the matcher themselves), positions shift to make room. Errors name
the field."""

from __future__ import annotations

import re
from typing import Any, Protocol

from oncall.configuration.requests import (
    ChainCreate,
    ChainPatch,
    IntegrationCreate,
    IntegrationOptions,
    IntegrationUpdate,
    LabelsIn,
    RouteCreate,
    RouteUpdate,
    SettingsUpdate,
    StepCreate,
    StepUpdate,
)
from oncall.configuration.step_types import STEP_FIELDS
from oncall.dispatch.routing import compile_regex_term
from oncall.escalation.steps import DEFAULT_WAIT_SECONDS, format_utc_time, parse_utc_time
from oncall.intake.types.catalog import INTEGRATION_TYPES, get_type
from oncall.models import (
    DeploymentSettings,
    EscalationChain,
    EscalationStep,
    Integration,
    RateLimit,
    Route,
    StepType,
)
from oncall.notify.channels import channel_problem
from oncall.platform import ids
from oncall.platform.clock import Clock
from oncall.platform.errors import NotFoundError, TokenTakenError, ValidationError
from oncall.platform.masking import MaskedValueError, unmask
from oncall.storage.protocols import (
    ConfigurationStore,
    IntegrationTokenTakenError,
    PeopleStore,
    ScheduleStore,
    StoreConflictError,
)
from oncall.templates.engine import check_syntax
from oncall.templates.labels import key_problem, value_problem
from oncall.templates.names import public_template_name, public_templates_to_slots, unknown_template_names


class StepReferenceStore(PeopleStore, ScheduleStore, Protocol):
    """What a step's fields are checked against: the users, teams and schedules they name."""


class StepStore(ConfigurationStore, StepReferenceStore, Protocol):
    """Steps live in the configuration and name people and schedules."""


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", {field: [message]})


def _require_chain(store: ConfigurationStore, chain_id: str | None, field: str = "escalation_chain_id") -> None:
    if chain_id is not None and store.get_chain(chain_id) is None:
        raise _field_error(field, f"Escalation chain {chain_id} does not exist.")


def validate_template_overrides(slots: dict[str, str | None]) -> None:
    """Each template must compile in the renderer itself (templating.check_syntax), nothing stricter."""
    problems = [
        f"{public_template_name(slot)}: {error}"
        for slot, text in slots.items()
        if text and (error := check_syntax(text))
    ]
    if problems:
        raise ValidationError(f"templates: Invalid template {problems[0]}", {"templates": problems})


def _template_slots(public: dict[str, Any]) -> dict[str, str | None]:
    if unknown := unknown_template_names(public):
        raise _field_error("templates", f"Unknown template name(s): {', '.join(unknown)}.")
    slots = public_templates_to_slots(public)
    validate_template_overrides(slots)
    return slots


# ------------------------------------------------------------------------------------------ labels
def normalize_labels(value: LabelsIn | None, field: str) -> dict[str, str]:
    """Labels from either request shape, checked: keys 1-200 characters, values 1-200 and not "none"."""
    if value is None:
        return {}
    pairs = (
        [(k, v) for k, v in value.items()] if isinstance(value, dict) else [(p.key.name, p.value.name) for p in value]
    )
    labels: dict[str, str] = {}
    for key, label_value in pairs:
        if problem := key_problem(key) or value_problem(label_value):
            raise _field_error(field, f"{key!r}: {problem}")
        if key in labels:
            raise _field_error(field, f"{key!r}: the same key appears twice.")
        labels[key] = label_value
    return labels


def _dynamic_labels(value: dict[str, str] | None) -> dict[str, str]:
    for key, template in (value or {}).items():
        if problem := key_problem(key) or (None if template.strip() else "The template is empty."):
            raise _field_error("dynamic_labels", f"{key!r}: {problem}")
        if error := check_syntax(template):
            raise _field_error("dynamic_labels", f"{key!r}: {error}")
    return dict(value or {})


def _labels_template(value: str | None) -> str | None:
    if not value:
        return None
    if error := check_syntax(value):
        raise _field_error("labels_template", error)
    return value


def _option_changes(request: IntegrationOptions) -> dict[str, Any]:
    """The Integration fields an options request sets; an explicit null turns an option off (its default)."""
    sent = request.model_fields_set
    changes: dict[str, Any] = {}
    if "labels" in sent:
        changes["labels"] = normalize_labels(request.labels, "labels")
    if "dynamic_labels" in sent:
        changes["dynamic_labels"] = _dynamic_labels(request.dynamic_labels)
    if "labels_template" in sent:
        changes["labels_template"] = _labels_template(request.labels_template)
    if "allow_source_based_resolving" in sent:
        changes["allow_source_based_resolving"] = request.allow_source_based_resolving is not False
    if "grouping_scope" in sent:
        changes["grouping_scope"] = request.grouping_scope or "route"
    if "auto_resolve_minutes" in sent:
        changes["auto_resolve_minutes"] = request.auto_resolve_minutes
    if "rate_limit" in sent:
        limit = request.rate_limit
        changes["rate_limit"] = RateLimit(alerts=limit.alerts, per_seconds=limit.per_seconds) if limit else None
    return changes


def _require_unique_name(
    store: ConfigurationStore, name: str, team_id: str | None, except_id: str | None = None
) -> None:
    if any(i.name == name and i.team_id == team_id and i.id != except_id for i in store.list_integrations()):
        raise _field_error("name", f"An integration named '{name}' already exists.")


# ------------------------------------------------------------------------------------------ integrations
GIVEN_TOKEN = re.compile(r"^[A-Za-z0-9]{25,64}$")
# A generated token has 25 characters drawn from 62 (about 20 distinct ones); fewer than this many distinct
# characters means a made-up or patterned token, not a random one.
MIN_DISTINCT_TOKEN_CHARACTERS = 12


def check_given_token(token: str) -> None:
    """A token kept from another instance must be as strong as ours: 25-64 letters and digits (OnCall's
    tokens are 25 random alphanumerics) that look random, not a word or a pattern."""
    if not GIVEN_TOKEN.match(token) or len(set(token)) < MIN_DISTINCT_TOKEN_CHARACTERS:
        raise _field_error(
            "token",
            "An integration token must be 25 to 64 random letters and digits (like the ones OnCall and this "
            "service generate).",
        )


def create_integration(
    request: IntegrationCreate, *, store: ConfigurationStore, clock: Clock
) -> tuple[Integration, Route]:
    kind = get_type(request.type)
    if kind is None or not kind.creatable:
        creatable = ", ".join(sorted(t.slug for t in INTEGRATION_TYPES.values() if t.creatable))
        raise _field_error("type", f"'{request.type}' is not a valid integration type (one of: {creatable}).")
    name = request.name or kind.title
    _require_unique_name(store, name, request.team_id)
    slots = _template_slots(request.templates or {})
    options = _option_changes(request)
    chain_id = request.default_route.escalation_chain_id if request.default_route else None
    _require_chain(store, chain_id, "default_route")
    now = clock.now()
    if request.token is not None:
        check_given_token(request.token)
        if store.find_integration_by_token(request.token) is not None:
            raise _token_taken()
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
        token=request.token or ids.integration_token(),
        team_id=request.team_id,
        description_short=request.description_short,
        templates={k: v for k, v in slots.items() if v},
        default_route_id=route.id,
        created_at=now,
        **options,
    )
    try:
        store.create_integration(integration, route)
    except IntegrationTokenTakenError as taken:  # given between the check and the write
        raise _token_taken() from taken
    return integration, route


def _token_taken() -> TokenTakenError:
    return TokenTakenError("token: another integration already has this token; it is never reassigned.")


def update_integration(integration_id: str, request: IntegrationUpdate, *, store: ConfigurationStore) -> Integration:
    """PUT and PATCH alike: the fields sent change, the others stay."""
    integration = store.get_integration(integration_id)
    if integration is None:
        raise NotFoundError()
    sent = request.model_fields_set
    changes = _option_changes(request)
    if "name" in sent:
        if request.name is None:
            raise _field_error("name", "This field may not be null.")
        changes["name"] = request.name
    if "team_id" in sent:
        changes["team_id"] = request.team_id
    if "description_short" in sent:
        changes["description_short"] = request.description_short
    if {"name", "team_id"} & sent:
        _require_unique_name(
            store, changes.get("name", integration.name), changes.get("team_id", integration.team_id), integration.id
        )
    if "templates" in sent:
        if request.templates is None:
            changes["templates"] = {}
        else:
            merged = {**integration.templates, **_template_slots(request.templates)}
            changes["templates"] = {slot: text for slot, text in merged.items() if text}
        changes["templates_suspended_until"] = None  # new templates get a new chance (template_budget.py)
    default_route = request.default_route
    if default_route is not None and "escalation_chain_id" in default_route.model_fields_set:
        _require_chain(store, default_route.escalation_chain_id, "default_route")
        route = store.get_route(integration.default_route_id)
        if route is not None:
            store.put_route(route.model_copy(update={"escalation_chain_id": default_route.escalation_chain_id}))
    updated = Integration.model_validate({**integration.model_dump(), **changes})
    try:
        store.put_integration(updated)
    except StoreConflictError as gone:  # deleted meanwhile
        raise NotFoundError() from gone
    return updated


def delete_integration(integration_id: str, *, store: ConfigurationStore) -> None:
    """The integration, its token (its URL answers 403 from now on) and its routes; alert groups stay."""
    if store.get_integration(integration_id) is None:
        raise NotFoundError()
    store.delete_integration(integration_id)


# ------------------------------------------------------------------------------------------ routes
def _route_terms(routing_type: str, term: str | None, labels: LabelsIn | dict[str, str] | None) -> dict[str, Any]:
    """The stored term and labels of a route of `routing_type`, checked by the matcher's own compilers."""
    if routing_type == "labels":
        if term:
            raise _field_error("routing_regex", "Labels routes match on routing_labels, not on a term.")
        routing_labels = normalize_labels(labels, "routing_labels")
        if not routing_labels:
            raise _field_error("routing_labels", "A labels route needs at least one key/value pair.")
        return {"routing_type": routing_type, "routing_regex": None, "routing_labels": routing_labels}
    if not term:
        raise _field_error("routing_regex", f"This field is required for {routing_type} routes.")
    error = compile_regex_term(term) if routing_type == "regex" else check_syntax(term)
    if error:
        raise _field_error("routing_regex", error)
    return {"routing_type": routing_type, "routing_regex": term, "routing_labels": {}}


def _siblings(store: ConfigurationStore, integration_id: str) -> list[Route]:
    """The integration's non-default routes in evaluation order."""
    return sorted(
        (r for r in store.list_routes() if r.integration_id == integration_id and not r.is_default),
        key=lambda r: (r.position, r.id),
    )


def _reordered(siblings: list[Route], moved: Route | None, position: int) -> list[Route]:
    """`siblings` without `moved`, then `moved` inserted at `position` (-1 or past the end = last), numbered
    0..n-1. Only the routes whose stored copy changes are returned."""
    others = [r for r in siblings if moved is None or r.id != moved.id]
    if moved is not None:
        index = len(others) if position < 0 or position > len(others) else position
        others.insert(index, moved)
    stored = {r.id: r for r in siblings}
    renumbered = [r.model_copy(update={"position": i}) for i, r in enumerate(others)]
    return [r for r in renumbered if stored.get(r.id) != r]


def create_route(request: RouteCreate, *, store: ConfigurationStore, clock: Clock) -> Route:
    if store.get_integration(request.integration_id) is None:
        raise _field_error("integration_id", f"Integration {request.integration_id} does not exist.")
    _require_chain(store, request.escalation_chain_id)
    terms = _route_terms(request.routing_type, request.routing_regex, request.routing_labels)
    route = Route(
        id=ids.public_id(ids.PREFIX_ROUTE),
        integration_id=request.integration_id,
        position=0,
        escalation_chain_id=request.escalation_chain_id,
        created_at=clock.now(),
        **terms,
    )
    changed = _reordered(_siblings(store, request.integration_id), route, request.position)
    store.write_routes(changed)
    return next(r for r in changed if r.id == route.id)


_ROUTING_FIELDS = ("routing_type", "routing_regex", "routing_labels", "position")


def update_route(route_id: str, request: RouteUpdate, *, store: ConfigurationStore) -> Route:
    """PUT and PATCH alike. The default route only takes an escalation chain: it always matches and stays
    last."""
    route = store.get_route(route_id)
    if route is None:
        raise NotFoundError()
    sent = request.model_fields_set
    changes: dict[str, Any] = {}
    if route.is_default and (fixed := [f for f in _ROUTING_FIELDS if f in sent]):
        raise _field_error(fixed[0], "The default route always matches and stays last; only its chain can change.")
    if "escalation_chain_id" in sent:
        _require_chain(store, request.escalation_chain_id)
        changes["escalation_chain_id"] = request.escalation_chain_id
    if {"routing_type", "routing_regex", "routing_labels"} & sent:
        routing_type = request.routing_type or route.routing_type
        switched = routing_type != route.routing_type
        term = request.routing_regex if "routing_regex" in sent else (None if switched else route.routing_regex)
        labels = request.routing_labels if "routing_labels" in sent else route.routing_labels
        changes.update(_route_terms(routing_type, term, labels))
    updated = route.model_copy(update=changes)
    if "position" in sent and request.position is not None and not route.is_default:
        changed = _reordered(_siblings(store, route.integration_id), updated, request.position)
        store.write_routes(changed)
        return next((r for r in changed if r.id == route.id), updated)
    store.write_routes([updated])
    return updated


def delete_route(route_id: str, *, store: ConfigurationStore) -> None:
    route = store.get_route(route_id)
    if route is None:
        raise NotFoundError()
    if route.is_default:
        raise ValidationError(
            "The default route cannot be deleted.", {"route_id": ["The default route cannot be deleted."]}
        )
    remaining = _reordered([r for r in _siblings(store, route.integration_id) if r.id != route.id], None, -1)
    store.write_routes(remaining, delete_ids=(route.id,))


def _require_unique_chain_name(store: ConfigurationStore, name: str, except_id: str | None = None) -> None:
    if any(c.name == name and c.id != except_id for c in store.list_chains()):
        raise _field_error("name", f"An escalation chain named '{name}' already exists.")


def create_chain(request: ChainCreate, *, store: ConfigurationStore, clock: Clock) -> EscalationChain:
    _require_unique_chain_name(store, request.name)
    chain = EscalationChain(
        id=ids.public_id(ids.PREFIX_CHAIN), name=request.name, team_id=request.team_id, created_at=clock.now()
    )
    store.put_chain(chain)
    return chain


def update_chain(chain_id: str, request: ChainCreate | ChainPatch, *, store: ConfigurationStore) -> EscalationChain:
    """PUT (ChainCreate: the whole chain) or PATCH (the fields sent)."""
    chain = store.get_chain(chain_id)
    if chain is None:
        raise NotFoundError()
    changes = request.model_dump(include=request.model_fields_set if isinstance(request, ChainPatch) else None)
    if changes.get("name", chain.name) is None:
        raise _field_error("name", "This field may not be null.")
    if "name" in changes:
        _require_unique_chain_name(store, changes["name"], chain.id)
    updated = chain.model_copy(update=changes)
    store.put_chain(updated)
    return updated


def delete_chain(chain_id: str, *, store: ConfigurationStore) -> None:
    """Delete the chain and its steps; routes that used it keep no chain (as OnCall). Escalations already
    running keep their snapshot of the steps."""
    if store.get_chain(chain_id) is None:
        raise NotFoundError()
    store.delete_chain(chain_id)


def _validated_step_fields(
    step_type: StepType, fields: dict[str, Any], store: StepReferenceStore, stored_channel: str | None = None
) -> dict[str, Any]:
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
            try:
                values["channel"] = unmask(values["channel"], stored_channel)
            except MaskedValueError as error:
                raise _field_error("channel", f"{error}.") from None
            if problem := channel_problem(values["channel"]):
                raise _field_error("channel", problem)
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


def _chain_steps(store: ConfigurationStore, chain_id: str, *, without: str | None = None) -> list[EscalationStep]:
    return sorted(
        (s for s in store.list_steps() if s.escalation_chain_id == chain_id and s.id != without),
        key=lambda s: (s.position, s.id),
    )


def _place_step(store: ConfigurationStore, step: EscalationStep, position: int | None) -> EscalationStep:
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


def _refuse_fields_of_other_types(step_type: StepType, request: StepCreate | StepUpdate) -> None:
    """A field another step type has, sent with a value, would be ignored: a 400 naming it instead."""
    sent = request.model_dump(exclude_unset=True, include=set(_ALL_FIELDS))
    takes = STEP_FIELDS[step_type]
    for name, value in sent.items():
        if value is not None and name not in takes:
            accepted = ", ".join(takes) or "no other fields"
            raise _field_error(name, f"A {step_type.value} step does not take {name} (it takes: {accepted}).")


def create_step(request: StepCreate, *, store: StepStore, clock: Clock) -> EscalationStep:
    if store.get_chain(request.escalation_chain_id) is None:
        raise _field_error("escalation_chain_id", f"Escalation chain {request.escalation_chain_id} does not exist.")
    step_type = StepType(request.type)
    _refuse_fields_of_other_types(step_type, request)
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


def update_step(step_id: str, request: StepUpdate, *, store: StepStore) -> EscalationStep:
    """Change the fields sent (OnCall's PUT is partial); a new type keeps only the fields it has."""
    current = store.get_step(step_id)
    if current is None:
        raise NotFoundError()
    step_type = StepType(request.type) if request.type else current.type
    _refuse_fields_of_other_types(step_type, request)
    sent = request.model_dump(exclude_unset=True, exclude={"type", "position"})
    merged = {**current.model_dump(), **{k: v for k, v in sent.items() if v is not None}}
    fields = _validated_step_fields(step_type, merged, store, stored_channel=current.channel)
    cleared = {name: EscalationStep.model_fields[name].get_default(call_default_factory=True) for name in _ALL_FIELDS}
    step = current.model_copy(update={**cleared, "type": step_type, **fields})
    if request.position is None:
        ordered = _chain_steps(store, current.escalation_chain_id)
        position = next(i for i, s in enumerate(ordered) if s.id == step_id)
    else:
        position = request.position
    return _place_step(store, step, position)


def delete_step(step_id: str, *, store: ConfigurationStore) -> None:
    step = store.get_step(step_id)
    if step is None:
        raise NotFoundError()
    store.delete_step(step_id)
    for number, item in enumerate(_chain_steps(store, step.escalation_chain_id)):
        if item.position != number:
            store.put_step(item.model_copy(update={"position": number}))


_ALL_FIELDS = sorted({name for names in STEP_FIELDS.values() for name in names})


def update_settings(request: SettingsUpdate, *, store: ConfigurationStore) -> DeploymentSettings:
    current = store.get_deployment_settings()
    updated = current.model_copy(update=request.model_dump(exclude_unset=True, exclude_none=True))
    if updated.unacknowledge_timeout and not updated.acknowledge_remind_timeout:
        raise _field_error(
            "unacknowledge_timeout", "Auto-unacknowledge follows a reminder: set acknowledge_remind_timeout too."
        )
    store.put_deployment_settings(updated)
    return updated
