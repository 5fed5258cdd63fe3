"""Configuration as code: the `oncall.yaml` model, its validation, `export` and the planner (all pure).

The file names things, never ids: a route's `chain` is a chain's name, a step's `persons` are usernames, a
layer's `users` are usernames, a webhook's `integration_filter` holds integration names. The deployment's
current configuration is read from the API into the same model (`export_config`), so a plan is a diff between
two values of one model, and `export` → `apply` round-trips by construction.

Semantics (see docs/guide.md#configuration-as-code):
- Top-level sections (`teams`, `users`, …) that the file leaves out are not managed at all. In a section that
  is present, resources are matched by name (`username` for users); `renamed_from: <old name>` renames one in
  place (an integration keeps its URL). Resources the section does not declare are left alone, or deleted
  with `--prune`.
- Inside a declared resource, an omitted field means its default, and lists are exact: an integration's
  `routes` (in order) and a chain's `steps` are exactly what the file says. Two exceptions, left alone when
  omitted: an integration's `heartbeat` and its `maintenance_windows` (ad-hoc windows survive an apply).
- Secrets the API only shows masked (contact URLs, iCal URLs, webhook passwords and authorization headers)
  are exported masked; a masked value in the file means "keep what is stored". A real secret whose masked
  form equals what is stored counts as unchanged, unless `update_secrets` (the mask hides any difference).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from oncall.configuration.step_types import StepTypeName
from oncall.models import WebhookTriggerName
from oncall.platform.masking import MASK, mask_headers, mask_url
from oncall.templates.names import BEHAVIOUR_TEMPLATES, SURFACE_TEMPLATES
from oncall.webhooks.requests import SECRET_MASK
from oncall_cli.ui import format_duration, parse_duration

WEBHOOK_SECRET_MASK = SECRET_MASK  # how the API shows a stored webhook password / authorization header
DEFAULT_WAIT_SECONDS = 300  # what the API stores for a wait step without a duration


# ------------------------------------------------------------------------------------------ field types
def _duration(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | str):
        return parse_duration(value)
    return value


def _strings(value: Any) -> Any:
    """Label values YAML reads as numbers or booleans (`code: 500`, `paging: true`) are strings."""
    if isinstance(value, dict):
        return {
            str(k): (str(v).lower() if isinstance(v, bool) else str(v)) if v is not None else v
            for k, v in value.items()
        }
    return value


def _seconds_precision(value: datetime) -> datetime:
    return value.replace(microsecond=0)


Duration = Annotated[int, BeforeValidator(_duration), PlainSerializer(format_duration, when_used="json")]
Labels = Annotated[dict[str, str], BeforeValidator(_strings)]
UtcTime = Annotated[
    datetime, PlainSerializer(lambda v: v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), when_used="json")
]
LocalTime = Annotated[datetime, PlainSerializer(lambda v: v.isoformat(timespec="seconds"), when_used="json")]


def normalize_templates(value: Any) -> Any:
    """`{web: {title: …}}` or `{"web.title": …}` → nested, with unset (null or empty) templates left out."""
    if not isinstance(value, dict):
        return value
    nested: dict[str, Any] = {}
    for key, value_ in value.items():
        surface, dot, attribute = str(key).partition(".")
        name, body = (surface, {attribute: value_}) if dot else (str(key), value_)
        if isinstance(body, dict):
            kept = {str(a): b for a, b in body.items() if b not in (None, "")}
            if kept:
                nested.setdefault(name, {}).update(kept)
        elif body not in (None, ""):
            nested[name] = body
    return nested


Templates = Annotated[dict[str, Any], BeforeValidator(normalize_templates)]


# ------------------------------------------------------------------------------------------ the model
class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SettingsSpec(Spec):
    acknowledge_remind_timeout: int = Field(default=0, ge=0, description="minutes; 0 = off")
    unacknowledge_timeout: int = Field(default=0, ge=0, description="minutes; 0 = off")


class TeamSpec(Spec):
    name: str = Field(min_length=1)
    email: str | None = None
    renamed_from: str | None = None


class RuleSpec(Spec):
    """One notification rule step; in the file `- notify: <contact>` or `- wait: 5m` (or the API's shape)."""

    type: Literal["notify", "wait"]
    contact: str | None = None
    duration: Duration | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict) and "type" not in value and len(value) == 1:
            ((kind, argument),) = value.items()
            if kind == "notify":
                return {"type": "notify", "contact": argument}
            if kind == "wait":
                return {"type": "wait", "duration": argument}
        return value

    @model_serializer(mode="wrap")
    def _as_shorthand(self, handler, info) -> Any:
        if self.type == "notify" and self.duration is None:
            return {"notify": self.contact}
        if self.type == "wait" and self.contact is None and self.duration is not None:
            return {"wait": format_duration(self.duration) if info.mode == "json" else self.duration}
        return handler(self)


class UserSpec(Spec):
    username: str = Field(min_length=1)
    name: str = ""
    email: str | None = None
    phone: str | None = None
    timezone: str = "UTC"
    teams: list[str] = Field(default_factory=list)
    contacts: dict[str, str] = Field(default_factory=dict)
    default_rules: list[RuleSpec] = Field(default_factory=list)
    important_rules: list[RuleSpec] = Field(default_factory=list)
    renamed_from: str | None = None


class LayerSpec(Spec):
    users: list[str] = Field(min_length=1)
    frequency: Literal["hourly", "daily", "weekly", "custom"] = "weekly"
    start: LocalTime = Field(description="the first handoff, in the schedule's time zone")
    shift_seconds: Duration | None = None
    duration: Duration | None = None


class OverrideSpec(Spec):
    user: str = Field(validation_alias=AliasChoices("user", "user_id"))
    start: UtcTime
    end: UtcTime


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error


Weekday = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


class ShiftSpec(Spec):
    """An OnCall on-call shift of the schedule (the API's /on_call_shifts), users by username. Times are wall
    clock in `time_zone` (UTC if unset)."""

    name: str = Field(min_length=1)
    type: Literal["single_event", "recurrent_event", "rolling_users", "override"]
    start: LocalTime
    duration: Duration
    time_zone: str | None = None
    level: int = 0
    rotation_start: LocalTime | None = None
    frequency: Literal["hourly", "daily", "weekly", "monthly"] | None = None
    interval: int = Field(default=1, ge=1)
    until: LocalTime | None = None
    week_start: Weekday = "SU"
    by_day: list[Weekday] = Field(default_factory=list)
    by_month: list[int] = Field(default_factory=list)
    by_monthday: list[int] = Field(default_factory=list)
    users: list[str] = Field(default_factory=list)
    rolling_users: list[list[str]] = Field(default_factory=list)
    start_rotation_from_user_index: int = 0

    @field_validator("start", "rotation_start", "until")
    @classmethod
    def _wall_clock(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=None, microsecond=0) if value is not None else None

    @model_validator(mode="after")
    def _rotation_from_start(self) -> ShiftSpec:
        if self.rotation_start == self.start:  # what the API shows when none was given
            self.rotation_start = None
        return self


class ScheduleSpec(Spec):
    name: str = Field(min_length=1)
    time_zone: str = "UTC"
    team: str | None = None
    layers: list[LayerSpec] = Field(default_factory=list)
    shifts: list[ShiftSpec] = Field(default_factory=list)
    overrides: list[OverrideSpec] = Field(default_factory=list)
    ical_url: str | None = Field(default=None, validation_alias=AliasChoices("ical_url", "ical_url_primary"))
    renamed_from: str | None = None

    @model_validator(mode="after")
    def _times(self) -> ScheduleSpec:
        """Layer starts in the schedule's local time (an offset is converted), overrides in UTC (a time
        without an offset is the schedule's local time) — what the API stores."""
        zone = _zone(self.time_zone)
        for layer in self.layers:
            start = layer.start
            layer.start = _seconds_precision(start.astimezone(zone).replace(tzinfo=None) if start.tzinfo else start)
        for override in self.overrides:
            for name in ("start", "end"):
                moment = getattr(override, name)
                moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
                setattr(override, name, _seconds_precision(moment.astimezone(UTC)))
        return self


# The trigger names are the domain's (one list, oncall.models.WebhookTrigger), as the step types are.
WebhookTrigger = WebhookTriggerName


class WebhookSpec(Spec):
    name: str = Field(min_length=1)
    url: str = Field(min_length=1)
    trigger_type: WebhookTrigger = "escalation"
    is_webhook_enabled: bool = True
    http_method: Literal["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"] = "POST"
    headers: str | None = None
    data: str | None = None
    forward_all: bool = True
    username: str | None = None
    password: str | None = None
    authorization_header: str | None = None
    trigger_template: str | None = None
    integration_filter: list[str] = Field(default_factory=list)
    team: str | None = None
    preset: Literal["simple_webhook", "advanced"] | None = None
    timeout_seconds: int = Field(default=10, ge=1, le=20)
    max_retries: int = Field(default=3, ge=0, le=10)
    renamed_from: str | None = None

    @field_validator("http_method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("integration_filter", mode="before")
    @classmethod
    def _none_is_all(cls, value: Any) -> Any:
        return [] if value is None else value


# The step types are the API's (one list, in the domain); the fields below are the file's own names for them.
StepType = StepTypeName
# The fields of each step type in the file (references by name), and which are required.
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "wait": ("duration",),
    "notify_persons": ("persons", "important"),
    "notify_person_next_each_time": ("persons", "important"),
    "notify_on_call_from_schedule": ("schedule", "important"),
    "notify_team_members": ("team", "important"),
    "trigger_webhook": ("webhook",),
    "resolve": (),
    "notify_if_time_from_to": ("notify_if_time_from", "notify_if_time_to"),
    "notify_if_num_alerts_in_window": ("num_alerts_in_window", "num_minutes_in_window"),
    "repeat_escalation": (),
    "notify_channel": ("channel", "important"),
}
_OPTIONAL_STEP_FIELDS = {"important", "duration"}
_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2}))?Z?$")


class StepSpec(Spec):
    type: StepType
    duration: Duration | None = Field(default=None, description="wait: seconds or 5m")
    persons: list[str] | None = Field(
        default=None, validation_alias=AliasChoices("persons", "persons_to_notify", "persons_to_notify_next_each_time")
    )
    schedule: str | None = Field(
        default=None, validation_alias=AliasChoices("schedule", "notify_on_call_from_schedule")
    )
    team: str | None = Field(default=None, validation_alias=AliasChoices("team", "team_to_notify"))
    webhook: str | None = Field(default=None, validation_alias=AliasChoices("webhook", "action_to_trigger"))
    channel: str | None = None
    important: bool = False
    notify_if_time_from: str | None = None
    notify_if_time_to: str | None = None
    num_alerts_in_window: int | None = Field(default=None, ge=1)
    num_minutes_in_window: int | None = Field(default=None, ge=1, le=1440)

    @field_validator("notify_if_time_from", "notify_if_time_to", mode="before")
    @classmethod
    def _utc_time(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            # YAML 1.1 reads an unquoted 9:30 as 570 (minutes) and 17:30:00 as 63000 (seconds)
            minutes, seconds = (value, 0) if value < 24 * 60 else divmod(value, 60)
            value = f"{minutes // 60:02d}:{minutes % 60:02d}:{seconds:02d}"
        match = _TIME.match(str(value).strip().upper())
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59 or int(match.group(3) or 0) > 59:
            raise ValueError(f"{value!r} is not a UTC time like 09:00:00Z")
        return f"{match.group(1)}:{match.group(2)}:{match.group(3) or '00'}Z"

    @field_validator("persons")
    @classmethod
    def _unique(cls, value: list[str] | None) -> list[str] | None:
        return list(dict.fromkeys(value)) if value is not None else None

    @model_validator(mode="after")
    def _defaults(self) -> StepSpec:
        if self.type == "wait" and self.duration is None:
            self.duration = DEFAULT_WAIT_SECONDS
        return self


class RouteSpec(Spec):
    """Exactly one of `regex`, `jinja2` (a template that renders true) or `labels` (all must match)."""

    regex: str | None = None
    jinja2: str | None = None
    labels: Labels | None = None
    chain: str | None = None


class RateLimitSpec(Spec):
    alerts: int = Field(ge=1)
    per_seconds: Duration


class HeartbeatTemplatesSpec(Spec):
    missing_title: str | None = None
    missing_message: str | None = None
    restored_title: str | None = None
    restored_message: str | None = None


class HeartbeatSpec(Spec):
    period: Duration = 600
    grace_period: Duration = 60
    cron: str | None = None
    timezone: str = "UTC"
    post_only: bool = False
    templates: HeartbeatTemplatesSpec = Field(default_factory=HeartbeatTemplatesSpec)


class WindowSpec(Spec):
    """A scheduled maintenance window: once at `start_at`, or at every `cron` time in `timezone`."""

    mode: Literal["maintenance", "debug"] = "maintenance"
    start_at: UtcTime | None = None
    cron: str | None = None
    timezone: str = "UTC"
    duration: Duration
    pause_running_escalations: bool = False

    @field_validator("start_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return _seconds_precision((value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC))


class IntegrationSpec(Spec):
    name: str = Field(min_length=1)
    type: str
    # The token in the integration's URL. Given on create, the integration keeps it (admin tokens only:
    # `oncall migrate`, or an export applied to another deployment); it never changes afterwards.
    token: str | None = None
    team: str | None = None
    description_short: str | None = None
    default_chain: str | None = None
    routes: list[RouteSpec] = Field(default_factory=list)
    templates: Templates = Field(default_factory=dict)
    labels: Labels = Field(default_factory=dict)
    dynamic_labels: dict[str, str] = Field(default_factory=dict)
    labels_template: str | None = None
    allow_source_based_resolving: bool = True
    grouping_scope: Literal["route", "integration"] = "route"
    auto_resolve_minutes: int | None = Field(default=None, ge=1)
    rate_limit: RateLimitSpec | None = None
    heartbeat: HeartbeatSpec | None = None
    maintenance_windows: list[WindowSpec] | None = None
    renamed_from: str | None = None

    @field_validator("labels_template", "description_short")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None


class ChainSpec(Spec):
    name: str = Field(min_length=1)
    team: str | None = None
    steps: list[StepSpec] = Field(default_factory=list)
    renamed_from: str | None = None


class Config(Spec):
    """An `oncall.yaml` file. A section left out (null) is not managed."""

    version: Literal[1] = 1
    settings: SettingsSpec | None = None
    teams: list[TeamSpec] | None = None
    users: list[UserSpec] | None = None
    schedules: list[ScheduleSpec] | None = None
    webhooks: list[WebhookSpec] | None = None
    escalation_chains: list[ChainSpec] | None = None
    integrations: list[IntegrationSpec] | None = None


# ------------------------------------------------------------------------------------------ kinds
@dataclass(frozen=True)
class Kind:
    label: str  # "escalation chain"
    section: str  # "escalation_chains" (in the file)
    key: str  # the name field
    resource: str  # the API path


TEAM = Kind("team", "teams", "name", "teams")
USER = Kind("user", "users", "username", "users")
SCHEDULE = Kind("schedule", "schedules", "name", "schedules")
CHAIN = Kind("escalation chain", "escalation_chains", "name", "escalation_chains")
INTEGRATION = Kind("integration", "integrations", "name", "integrations")
WEBHOOK = Kind("webhook", "webhooks", "name", "webhooks")
SETTINGS = Kind("settings", "settings", "", "settings")
# The order creates and updates are applied in (what a resource names exists before it); deletes go in
# the reverse order of dependence (see DELETE_ORDER).
KINDS = (TEAM, USER, SCHEDULE, CHAIN, INTEGRATION, WEBHOOK)
DELETE_ORDER = (INTEGRATION, CHAIN, WEBHOOK, SCHEDULE, USER, TEAM)


def key_of(kind: Kind, spec: Spec) -> str:
    return getattr(spec, kind.key)


# ------------------------------------------------------------------------------------------ loading
class ConfigFileError(Exception):
    """The file is not a valid configuration; `problems` are "path: message" lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def location(loc: tuple[Any, ...]) -> str:
    """('integrations', 2, 'routes', 0, 'chain') → integrations[2].routes[0].chain"""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(file)"


def _pydantic_problems(error: ValidationError) -> list[str]:
    problems = []
    for problem in error.errors():
        loc = tuple(p for p in problem["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            message = "unknown field"
        elif problem["type"] == "missing":
            message = "required field missing"
        message = message.removeprefix("Value error, ")
        problems.append(f"{location(loc)}: {message}")
    return list(dict.fromkeys(problems))


def load_config(text: str, source: str = "oncall.yaml") -> Config:
    """Parse and validate a configuration file; ConfigFileError lists every problem with its path."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise ConfigFileError([f"{where}: not valid YAML ({getattr(error, 'problem', None) or error})"]) from error
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigFileError([f"{source}: expected a mapping of sections (teams, users, integrations, …)"])
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        raise ConfigFileError(_pydantic_problems(error)) from error
    if problems := check(config):
        raise ConfigFileError(problems)
    return config


def check(config: Config) -> list[str]:
    """What the model's types cannot say: duplicates, fields per step type, routes, rules, templates."""
    problems: list[str] = []
    for kind in KINDS:
        seen: dict[str, int] = {}
        for index, spec in enumerate(getattr(config, kind.section) or []):
            name = key_of(kind, spec)
            if name in seen:
                problems.append(f'{kind.section}[{index}].{kind.key}: "{name}" is declared twice (also [{seen[name]}])')
            seen.setdefault(name, index)
    for i, user in enumerate(config.users or []):
        for rules in ("default_rules", "important_rules"):
            for j, rule in enumerate(getattr(user, rules)):
                where = f"users[{i}].{rules}[{j}]"
                if rule.type == "notify" and rule.contact not in user.contacts:
                    known = ", ".join(user.contacts) or "none"
                    problems.append(f'{where}.contact: no contact named "{rule.contact}" (contacts: {known})')
                if rule.type == "wait" and rule.duration is None:
                    problems.append(f"{where}.duration: a wait needs a duration")
                if rule.type == "wait" and rule.contact is not None:
                    problems.append(f"{where}.contact: a wait has no contact")
    for i, schedule in enumerate(config.schedules or []):
        if schedule.ical_url and schedule.layers:
            problems.append(f"schedules[{i}].layers: an iCal schedule (ical_url) has no layers")
        if schedule.ical_url and schedule.shifts:
            problems.append(f"schedules[{i}].shifts: an iCal schedule (ical_url) has no shifts")
    for i, chain in enumerate(config.escalation_chains or []):
        for j, step in enumerate(chain.steps):
            problems += _step_problems(step, f"escalation_chains[{i}].steps[{j}]")
    for i, integration in enumerate(config.integrations or []):
        where = f"integrations[{i}]"
        for j, route in enumerate(integration.routes):
            given = [n for n in ("regex", "jinja2", "labels") if getattr(route, n)]
            if len(given) != 1:
                problems.append(f"{where}.routes[{j}]: give exactly one of regex, jinja2 or labels")
        problems += [
            f"{where}.templates.{name}: unknown template" for name in _unknown_templates(integration.templates)
        ]
        for j, window in enumerate(integration.maintenance_windows or []):
            if (window.start_at is None) == (window.cron is None):
                problems.append(f"{where}.maintenance_windows[{j}]: give start_at (once) or cron (recurring)")
    return problems


def _step_problems(step: StepSpec, where: str) -> list[str]:
    allowed = STEP_FIELDS[step.type]
    problems = []
    for name in ("duration", "persons", "schedule", "team", "webhook", "channel", "important") + (
        "notify_if_time_from",
        "notify_if_time_to",
        "num_alerts_in_window",
        "num_minutes_in_window",
    ):
        value = getattr(step, name)
        given = value not in (None, False)
        if given and name not in allowed and not (name == "duration" and step.type == "wait"):
            fields = ", ".join(allowed) or "no fields"
            problems.append(f"{where}.{name}: not a field of {step.type} steps (they have: {fields})")
        elif name in allowed and name not in _OPTIONAL_STEP_FIELDS and value in (None, []):
            problems.append(f"{where}.{name}: required for {step.type} steps")
    return problems


def _unknown_templates(templates: dict[str, Any]) -> list[str]:
    unknown = []
    for name, body in templates.items():
        if name in BEHAVIOUR_TEMPLATES and isinstance(body, str):
            continue
        if name in SURFACE_TEMPLATES and isinstance(body, dict):
            unknown += [f"{name}.{a}" for a in body if a not in SURFACE_TEMPLATES[name]]
            continue
        unknown.append(name)
    return unknown


def full_templates(templates: dict[str, Any]) -> dict[str, Any]:
    """Every template slot, null where the file sets none: the API merges, so unset slots must be reset."""
    full: dict[str, Any] = {name: templates.get(name) for name in BEHAVIOUR_TEMPLATES}
    for surface, attributes in SURFACE_TEMPLATES.items():
        given = templates.get(surface) or {}
        full[surface] = {attribute: given.get(attribute) for attribute in attributes}
    return full


# ------------------------------------------------------------------------------------------ references
Visit = Callable[[str, Kind, str], str]


def _refs_of(kind: Kind, spec: Any, where: str, visit: Visit) -> None:
    """Call `visit(path, kind, name)` for every reference `spec` makes, storing what it returns."""

    def one(path: str, target: Kind, name: str | None) -> str | None:
        return None if name is None else visit(f"{where}.{path}", target, name)

    def many(path: str, target: Kind, names: list[str]) -> list[str]:
        return [visit(f"{where}.{path}[{k}]", target, n) for k, n in enumerate(names)]

    if kind is USER:
        spec.teams = many("teams", TEAM, spec.teams)
    elif kind is SCHEDULE:
        spec.team = one("team", TEAM, spec.team)
        for j, layer in enumerate(spec.layers):
            layer.users = many(f"layers[{j}].users", USER, layer.users)
        for j, override in enumerate(spec.overrides):
            override.user = one(f"overrides[{j}].user", USER, override.user)
        for j, shift in enumerate(spec.shifts):
            shift.users = many(f"shifts[{j}].users", USER, shift.users)
            shift.rolling_users = [
                many(f"shifts[{j}].rolling_users[{k}]", USER, group) for k, group in enumerate(shift.rolling_users)
            ]
    elif kind is CHAIN:
        spec.team = one("team", TEAM, spec.team)
        for j, step in enumerate(spec.steps):
            if step.persons is not None:
                step.persons = many(f"steps[{j}].persons", USER, step.persons)
            step.schedule = one(f"steps[{j}].schedule", SCHEDULE, step.schedule)
            step.team = one(f"steps[{j}].team", TEAM, step.team)
            step.webhook = one(f"steps[{j}].webhook", WEBHOOK, step.webhook)
    elif kind is INTEGRATION:
        spec.team = one("team", TEAM, spec.team)
        spec.default_chain = one("default_chain", CHAIN, spec.default_chain)
        for j, route in enumerate(spec.routes):
            route.chain = one(f"routes[{j}].chain", CHAIN, route.chain)
    elif kind is WEBHOOK:
        spec.team = one("team", TEAM, spec.team)
        spec.integration_filter = many("integration_filter", INTEGRATION, spec.integration_filter)


def references(kind: Kind, spec: Any, where: str) -> list[tuple[str, Kind, str]]:
    found: list[tuple[str, Kind, str]] = []

    def record(path: str, target: Kind, name: str) -> str:
        found.append((path, target, name))
        return name

    _refs_of(kind, copy.deepcopy(spec), where, record)
    return found


def renamed_references(kind: Kind, spec: Any, renames: dict[Kind, dict[str, str]]) -> Any:
    """A copy of `spec` whose references to renamed resources use their new names."""
    result = spec.model_copy(deep=True)
    _refs_of(kind, result, "", lambda _path, target, name: renames.get(target, {}).get(name, name))
    return result


# ------------------------------------------------------------------------------------------ the deployment
@dataclass
class Snapshot:
    """The deployment's configuration as the API shows it (raw JSON objects)."""

    settings: dict[str, Any] = field(default_factory=dict)
    teams: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    schedules: list[dict[str, Any]] = field(default_factory=list)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    chains: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    integrations: list[dict[str, Any]] = field(default_factory=list)
    routes: list[dict[str, Any]] = field(default_factory=list)
    windows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # integration id → its windows
    shifts: list[dict[str, Any]] = field(default_factory=list)  # on_call_shifts

    def objects(self, kind: Kind) -> list[dict[str, Any]]:
        return {
            TEAM: self.teams,
            USER: self.users,
            SCHEDULE: self.schedules,
            CHAIN: self.chains,
            INTEGRATION: self.integrations,
            WEBHOOK: self.webhooks,
        }[kind]

    def ids(self, kind: Kind) -> dict[str, str]:
        return {o[kind.key]: o["id"] for o in self.objects(kind)}

    def routes_of(self, integration_id: str) -> list[dict[str, Any]]:
        """The integration's routes but the default one, in evaluation order."""
        mine = [r for r in self.routes if r["integration_id"] == integration_id and not r["is_the_last_route"]]
        return sorted(mine, key=lambda r: (r["position"], r["id"]))

    def steps_of(self, chain_id: str) -> list[dict[str, Any]]:
        return sorted((s for s in self.steps if s["escalation_chain_id"] == chain_id), key=lambda s: s["position"])


def _route_spec(route: dict[str, Any], name: Callable[[Kind, str | None], str | None]) -> RouteSpec:
    chain = name(CHAIN, route["escalation_chain_id"])
    if route["routing_type"] == "labels":
        return RouteSpec(labels=route["routing_labels"], chain=chain)
    if route["routing_type"] == "jinja2":
        return RouteSpec(jinja2=route["routing_regex"], chain=chain)
    return RouteSpec(regex=route["routing_regex"], chain=chain)


def _step_spec(step: dict[str, Any], name: Callable[[Kind, str | None], str | None]) -> StepSpec:
    persons = step.get("persons_to_notify") or step.get("persons_to_notify_next_each_time")
    values = {
        "type": step["type"],
        "duration": step.get("duration"),
        "persons": [name(USER, u) for u in persons] if persons is not None else None,
        "schedule": name(SCHEDULE, step.get("notify_on_call_from_schedule")),
        "team": name(TEAM, step.get("team_to_notify")),
        "webhook": name(WEBHOOK, step.get("action_to_trigger")),
        "channel": step.get("channel"),
        "important": bool(step.get("important")),
        "notify_if_time_from": step.get("notify_if_time_from"),
        "notify_if_time_to": step.get("notify_if_time_to"),
        "num_alerts_in_window": step.get("num_alerts_in_window"),
        "num_minutes_in_window": step.get("num_minutes_in_window"),
    }
    return StepSpec(**values)


def _shift_spec(shift: dict[str, Any], name: Callable[[Kind, str | None], str | None]) -> ShiftSpec:
    fields = {k: shift.get(k) for k in ShiftSpec.model_fields if k not in ("users", "rolling_users")}
    fields = {k: v for k, v in fields.items() if v is not None}
    return ShiftSpec(
        **fields,
        users=[name(USER, u) for u in shift.get("users") or []],
        rolling_users=[[name(USER, u) for u in group] for group in shift.get("rolling_users") or []],
    )


def window_spec(window: dict[str, Any]) -> WindowSpec:
    return WindowSpec(
        mode=window["mode"],
        start_at=None if window.get("cron") else window.get("start_at"),
        cron=window.get("cron"),
        timezone=window.get("timezone") or "UTC",
        duration=window["duration"],
        pause_running_escalations=bool(window.get("pause_running_escalations")),
    )


def _heartbeat_spec(heartbeat: dict[str, Any]) -> HeartbeatSpec:
    return HeartbeatSpec(
        period=heartbeat["period"],
        grace_period=heartbeat["grace_period"],
        cron=heartbeat.get("cron"),
        timezone=heartbeat.get("timezone") or "UTC",
        post_only=bool(heartbeat.get("post_only")),
        templates=HeartbeatTemplatesSpec(**(heartbeat.get("templates") or {})),
    )


_LINK_TOKEN = re.compile(r"/integrations/v1/[A-Za-z0-9_]+/([A-Za-z0-9]+)/?$")


def _link_token(link: str | None) -> str | None:
    match = _LINK_TOKEN.search(link or "")
    return match.group(1) if match else None


def export_config(snapshot: Snapshot) -> Config:
    """The deployment's configuration in the file's model (names instead of ids; secrets masked)."""
    maps = {kind: {o["id"]: o[kind.key] for o in snapshot.objects(kind)} for kind in KINDS}

    def name(kind: Kind, object_id: str | None) -> str | None:
        return None if object_id is None else maps[kind].get(object_id, object_id)

    settings = snapshot.settings
    shifts = {s["id"]: s for s in snapshot.shifts}
    teams = [TeamSpec(name=t["name"], email=t.get("email")) for t in snapshot.teams]
    users = [
        UserSpec(
            username=u["username"],
            name=u.get("name") or "",
            email=u.get("email"),
            phone=u.get("phone"),
            timezone=u.get("timezone") or "UTC",
            teams=[name(TEAM, t) for t in u.get("teams", [])],
            contacts=u.get("contacts") or {},
            default_rules=u.get("default_rules") or [],
            important_rules=u.get("important_rules") or [],
        )
        for u in snapshot.users
    ]
    schedules = [
        ScheduleSpec(
            name=s["name"],
            time_zone=s.get("time_zone") or "UTC",
            team=name(TEAM, s.get("team_id")),
            layers=[
                LayerSpec(
                    users=[name(USER, u) for u in layer["users"]],
                    frequency=layer["frequency"],
                    start=layer["start"],
                    shift_seconds=layer.get("shift_seconds"),
                    duration=layer.get("duration"),
                )
                for layer in s.get("layers") or []
            ],
            overrides=[
                OverrideSpec(user=name(USER, o["user_id"]), start=o["start"], end=o["end"])
                for o in s.get("overrides") or []
            ],
            shifts=[_shift_spec(shifts[i], name) for i in s.get("shifts") or [] if i in shifts],
            ical_url=s.get("ical_url_primary"),
        )
        for s in snapshot.schedules
    ]
    webhooks = [
        WebhookSpec(
            **{
                k: w.get(k) for k in WebhookSpec.model_fields if k not in ("integration_filter", "team", "renamed_from")
            },
            integration_filter=[name(INTEGRATION, i) for i in w.get("integration_filter") or []],
            team=name(TEAM, w.get("team")),
        )
        for w in snapshot.webhooks
    ]
    chains = [
        ChainSpec(
            name=c["name"],
            team=name(TEAM, c.get("team_id")),
            steps=[_step_spec(s, name) for s in snapshot.steps_of(c["id"])],
        )
        for c in snapshot.chains
    ]
    integrations = []
    for i in snapshot.integrations:
        windows = snapshot.windows.get(i["id"])
        integrations.append(
            IntegrationSpec(
                name=i["name"],
                type=i["type"],
                token=_link_token(i.get("link")),
                team=name(TEAM, i.get("team_id")),
                description_short=i.get("description_short"),
                default_chain=name(CHAIN, (i.get("default_route") or {}).get("escalation_chain_id")),
                routes=[_route_spec(r, name) for r in snapshot.routes_of(i["id"])],
                templates=i.get("templates") or {},
                labels=i.get("labels") or {},
                dynamic_labels=i.get("dynamic_labels") or {},
                labels_template=i.get("labels_template"),
                allow_source_based_resolving=i.get("allow_source_based_resolving", True) is not False,
                grouping_scope=i.get("grouping_scope") or "route",
                auto_resolve_minutes=i.get("auto_resolve_minutes"),
                rate_limit=i.get("rate_limit"),
                heartbeat=_heartbeat_spec(i["heartbeat"]) if i.get("heartbeat") else None,
                maintenance_windows=[window_spec(w) for w in windows] if windows is not None else None,
            )
        )
    return Config(
        settings=SettingsSpec(
            acknowledge_remind_timeout=settings.get("acknowledge_remind_timeout") or 0,
            unacknowledge_timeout=settings.get("unacknowledge_timeout") or 0,
        ),
        teams=teams,
        users=users,
        schedules=schedules,
        webhooks=webhooks,
        escalation_chains=chains,
        integrations=integrations,
    )


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:  # templates read better as blocks
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _text)

EXPORT_HEADER = """\
# Serverless OnCall configuration (`oncall export`). Apply with: oncall apply -f <this file>
# References are by name. Masked secrets (****) mean "keep what is stored": write the real value to change one.
"""


def dump_yaml(config: Config) -> str:
    """The file form of `config`: defaults left out, integrations' default heartbeat and empty window
    lists left out (unmanaged), and durations as 5m / 1h / 1d."""
    trimmed = config.model_copy(deep=True)
    for integration in trimmed.integrations or []:
        if integration.heartbeat == HeartbeatSpec():
            integration.heartbeat = None
        if not integration.maintenance_windows:
            integration.maintenance_windows = None
    data = trimmed.model_dump(mode="json", exclude_defaults=True)
    data.pop("version", None)
    body = yaml.dump({"version": 1, **data}, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    return EXPORT_HEADER + body


# ------------------------------------------------------------------------------------------ the plan
@dataclass
class Diff:
    path: str
    old: Any
    new: Any
    secret: bool = False


@dataclass
class Change:
    action: Literal["create", "update", "delete"]
    kind: Kind
    name: str  # the name after the change (before, for a delete)
    where: str = ""  # the resource in the file: "integrations[2]"
    current_name: str | None = None  # its name in the deployment (differs when renamed)
    diffs: list[Diff] = field(default_factory=list)
    desired: Any = None
    current: Any = None  # the current spec, references to renamed resources already renamed

    @property
    def renamed(self) -> bool:
        return self.current_name is not None and self.current_name != self.name

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"action": self.action, "kind": self.kind.label, "name": self.name}
        if self.renamed:
            body["renamed_from"] = self.current_name
        if self.diffs:
            body["changes"] = [
                {"path": d.path, "old": shown_value(d.old, d.secret), "new": shown_value(d.new, d.secret)}
                for d in self.diffs
            ]
        return body


def shown_value(value: Any, secret: bool) -> Any:
    """A plan's value as it may be shown: secrets masked, a missing value None."""
    if value is MISSING:
        return None
    if secret and isinstance(value, str):
        return value if MASK in value else mask_url(value) if "://" in value else WEBHOOK_SECRET_MASK
    return value


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the file does not fit the deployment
    notes: list[str] = field(default_factory=list)
    unmanaged: dict[str, list[str]] = field(default_factory=dict)  # kind label → names left alone

    @property
    def empty(self) -> bool:
        return not self.changes

    def counts(self) -> dict[str, int]:
        return {a: sum(1 for c in self.changes if c.action == a) for a in ("create", "update", "delete")}

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.counts(),
            "changes": [c.to_json() for c in self.changes],
            "problems": self.problems,
            "notes": self.notes,
            "unmanaged": self.unmanaged,
        }


MISSING: Any = type("Missing", (), {"__repr__": lambda self: "(none)"})()


def _diff(old: Any, new: Any, path: str, out: list[Diff], secret_paths: set[str]) -> None:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            _diff(old.get(key, MISSING), new.get(key, MISSING), f"{path}.{key}" if path else key, out, secret_paths)
        return
    out.append(Diff(path, old, new, secret=path in secret_paths))


# ------------------------------------------------------------------------------------------ ordered lists
@dataclass(frozen=True)
class SeqOp:
    """One step of turning an ordered list (routes, steps) into another, through the API's positions:
    `delete` current[j]; `create` desired[i] at position i; `update` current[j] into desired[i] (fields
    and/or position)."""

    action: Literal["create", "update", "delete"]
    index: int | None = None  # in the desired list
    current: int | None = None  # in the current list
    changed: bool = False
    move: bool = False


def sequence_ops(desired: list[Any], current: list[Any]) -> list[SeqOp]:
    """Keep equal items (matched in order), turn a leftover current item into a leftover desired one of the
    same kind (a route's match type, a step's type), delete the rest (first), then walk the desired order
    placing each item at its position. Placing at i only shifts items after i, so the first i items are
    final after step i."""
    pair: dict[int, int] = {}
    used: set[int] = set()
    for i, item in enumerate(desired):
        j = next((j for j, candidate in enumerate(current) if j not in used and candidate == item), None)
        if j is not None:
            pair[i] = j
            used.add(j)
    for i, item in enumerate(desired):
        if i in pair:
            continue
        j = next((j for j, c in enumerate(current) if j not in used and _sort_of(c) == _sort_of(item)), None)
        if j is not None:
            pair[i] = j
            used.add(j)
    ops = [SeqOp("delete", current=j) for j in range(len(current)) if j not in used]
    order: list[Any] = [j for j in range(len(current)) if j in used]
    for i, item in enumerate(desired):
        if i in pair:
            j = pair[i]
            position = order.index(j)
            changed, move = current[j] != item, position != i
            if changed or move:
                ops.append(SeqOp("update", index=i, current=j, changed=changed, move=move))
            order.remove(j)
            order.insert(i, j)
        else:
            ops.append(SeqOp("create", index=i))
            order.insert(i, ("new", i))
    return ops


def _sort_of(item: Any) -> Any:
    """What an item is, beyond its settings: a step's type, a route's kind of match."""
    if isinstance(item, RouteSpec):
        return "labels" if item.labels else "jinja2" if item.jinja2 else "regex"
    return getattr(item, "type", None)


def _summary(spec: BaseModel) -> dict[str, Any]:
    return spec.model_dump(mode="json", exclude_defaults=True)


def _sequence_diffs(name: str, desired: list[BaseModel], current: list[BaseModel], out: list[Diff]) -> None:
    for op in sequence_ops(desired, current):
        if op.action == "delete":
            out.append(Diff(f"{name}[{op.current}]", _summary(current[op.current]), MISSING))
        elif op.action == "create":
            out.append(Diff(f"{name}[{op.index}]", MISSING, _summary(desired[op.index])))
        else:
            where = f"{name}[{op.index}]"
            if op.changed:
                _diff(_summary(current[op.current]), _summary(desired[op.index]), where, out, set())
            if op.move:
                out.append(Diff(f"{where} (position)", op.current, op.index))


# ------------------------------------------------------------------------------------------ secrets
def _comparable_secret(
    desired: str | None, current: str | None, mask: Callable[[str], str], where: str, update_secrets: bool
) -> tuple[str | None, str | None]:
    """(the value to compare with `current`, a problem): a masked value keeps the stored secret; a real one
    whose mask is what is stored counts as unchanged unless `update_secrets`."""
    if desired is None or current is None:
        if desired is not None and MASK in desired:
            return desired, f"{where}: a masked value keeps a stored secret, but none is stored: write the real value"
        return desired, None
    if MASK in desired:
        if desired != current:
            return desired, f"{where}: the masked value does not match what is stored ({current}): write the real value"
        return current, None
    return (current if mask(desired) == current and not update_secrets else desired), None


def _comparable(
    kind: Kind, desired: Any, current: Any, where: str, update_secrets: bool
) -> tuple[Any, list[str], set[str]]:
    """`desired` with secrets replaced as `_comparable_secret` says, the problems, and the secret paths."""
    problems: list[str] = []
    secret_paths: set[str] = set()
    result = desired.model_copy(deep=True)

    def secret(name: str, value: str | None, stored: str | None, mask: Callable[[str], str]) -> str | None:
        secret_paths.add(name)
        compared, problem = _comparable_secret(value, stored, mask, f"{where}.{name}", update_secrets)
        if problem:
            problems.append(problem)
        return compared

    if kind is USER:
        stored = current.contacts if current else {}
        result.contacts = {k: secret(f"contacts.{k}", v, stored.get(k), mask_url) for k, v in desired.contacts.items()}
    elif kind is SCHEDULE:
        result.ical_url = secret("ical_url", desired.ical_url, current.ical_url if current else None, mask_url)
    elif kind is WEBHOOK:
        for name in ("password", "authorization_header"):
            stored = getattr(current, name) if current else None
            setattr(result, name, secret(name, getattr(desired, name), stored, lambda _v: WEBHOOK_SECRET_MASK))
        # The API shows webhook URLs and header values masked too (docs/SECURITY.md).
        result.url = secret("url", desired.url, current.url if current else None, mask_url)
        result.headers = secret("headers", desired.headers, current.headers if current else None, mask_headers)
    elif kind is CHAIN:
        # notify_channel steps' channel URLs are shown masked: a step whose channel masks to what is stored (at
        # the same position) is unchanged.
        stored_steps = current.steps if current else []
        for index, step in enumerate(result.steps):
            if step.channel and index < len(stored_steps) and stored_steps[index].channel:
                stored = stored_steps[index].channel
                step.channel = secret(f"steps[{index}].channel", step.channel, stored, mask_url)
    return result, problems, secret_paths


# ------------------------------------------------------------------------------------------ planning
_SEQUENCES = {INTEGRATION: "routes", CHAIN: "steps"}


def _resource_diffs(kind: Kind, desired: Any, current: Any, secret_paths: set[str], now: datetime) -> list[Diff]:
    skip = {"renamed_from"}
    if kind in _SEQUENCES:
        skip.add(_SEQUENCES[kind])
    if kind is INTEGRATION:
        skip |= {"heartbeat", "maintenance_windows", "token"}
    old = current.model_dump(exclude=skip)
    new = desired.model_dump(exclude=skip)
    diffs: list[Diff] = []
    _diff(old, new, "", diffs, secret_paths)
    if kind in _SEQUENCES:
        name = _SEQUENCES[kind]
        _sequence_diffs(name, getattr(desired, name), getattr(current, name), diffs)
    if kind is INTEGRATION:
        if desired.heartbeat is not None and current.heartbeat is not None:
            _diff(current.heartbeat.model_dump(), desired.heartbeat.model_dump(), "heartbeat", diffs, set())
        if desired.maintenance_windows is not None:
            wanted = windows_to_create(desired.maintenance_windows, current.maintenance_windows or [], now)
            gone = windows_to_delete(desired.maintenance_windows, current.maintenance_windows or [])
            diffs += [Diff("maintenance_windows", _summary(w), MISSING) for w in gone]
            diffs += [Diff("maintenance_windows", MISSING, _summary(w)) for w in wanted]
    return diffs


def _ended(window: WindowSpec, now: datetime) -> bool:
    return window.cron is None and window.start_at is not None and window.start_at <= now


def windows_to_create(desired: list[WindowSpec], current: list[WindowSpec], now: datetime) -> list[WindowSpec]:
    """Declared windows the deployment lacks, but one-off windows already started (the deployment forgets a
    one-off window once it starts, so the file's copy must not bring it back)."""
    return [w for w in desired if w not in current and not _ended(w, now)]


def windows_to_delete(desired: list[WindowSpec], current: list[WindowSpec]) -> list[WindowSpec]:
    return [w for w in current if w not in desired]


def _match(kind: Kind, desired: list[Any], current: list[Any]) -> list[tuple[int, Any, Any]]:
    """(index in the file, desired, current or None): by name, else by `renamed_from` when the old name
    exists and the file does not also declare it."""
    by_name = {key_of(kind, c): c for c in current}
    declared = {key_of(kind, d) for d in desired}
    taken: set[str] = set()
    matches = []
    for index, spec in enumerate(desired):
        name = key_of(kind, spec)
        found = by_name.get(name)
        if found is None and spec.renamed_from and spec.renamed_from not in declared:
            found = by_name.get(spec.renamed_from)
            if found is not None and spec.renamed_from in taken:
                found = None
        if found is not None:
            taken.add(key_of(kind, found))
        matches.append((index, spec, found))
    return matches


def plan(
    desired: Config, current: Config, *, prune: bool = False, now: datetime | None = None, update_secrets: bool = False
) -> Plan:
    """What to create, update and delete so that the deployment (`current`, as `export_config` reads it)
    matches the file (`desired`). Pure: no API calls."""
    now = now or datetime.now(UTC)
    result = Plan()
    matched: dict[Kind, list[tuple[int, Any, Any]]] = {}
    renames: dict[Kind, dict[str, str]] = {}
    deleted: dict[Kind, set[str]] = {}
    for kind in KINDS:
        wanted = getattr(desired, kind.section)
        existing = getattr(current, kind.section) or []
        if wanted is None:
            continue
        matched[kind] = _match(kind, wanted, existing)
        renames[kind] = {key_of(kind, c): key_of(kind, d) for _, d, c in matched[kind] if c is not None}
        renames[kind] = {old: new for old, new in renames[kind].items() if old != new}
        kept = {key_of(kind, c) for _, _, c in matched[kind] if c is not None}
        leftover = [key_of(kind, c) for c in existing if key_of(kind, c) not in kept]
        if prune:
            deleted[kind] = set(leftover)
        elif leftover:
            result.unmanaged[kind.label] = leftover

    _check_references(desired, current, renames, deleted, result)

    if desired.settings is not None and desired.settings != current.settings:
        diffs: list[Diff] = []
        _diff((current.settings or SettingsSpec()).model_dump(), desired.settings.model_dump(), "", diffs, set())
        result.changes.append(Change("update", SETTINGS, "settings", "settings", "settings", diffs, desired.settings))
    for kind in KINDS:
        for index, spec, found in matched.get(kind, []):
            where = f"{kind.section}[{index}]"
            name = key_of(kind, spec)
            comparable, problems, secret_paths = _comparable(
                kind, spec, found and renamed_references(kind, found, renames), where, update_secrets
            )
            result.problems += problems
            if kind is INTEGRATION and (problem := _token_problem(spec, found, current, where)):
                result.problems.append(problem)
                continue
            if found is None:
                result.changes.append(Change("create", kind, name, where, None, [], spec))
                continue
            before = renamed_references(kind, found, renames)
            if kind is INTEGRATION and spec.type != found.type:
                result.problems.append(
                    f"{where}.type: cannot change from {found.type} to {spec.type} (its URL would change): give "
                    "the new integration another name, or delete this one"
                )
                continue
            if kind is INTEGRATION and spec.heartbeat is not None and found.heartbeat is None:
                result.problems.append(f"{where}.heartbeat: {found.type} integrations have no heartbeat")
            diffs = _resource_diffs(kind, comparable, before, secret_paths, now)
            if diffs:
                change = Change("update", kind, name, where, key_of(kind, found), diffs, spec, before)
                result.changes.append(change)
        if kind is INTEGRATION:
            for _, spec, _found in matched.get(kind, []):
                for window in spec.maintenance_windows or []:
                    if _ended(window, now):
                        when = window.start_at.strftime("%Y-%m-%dT%H:%M:%SZ")
                        result.notes.append(
                            f'integration "{spec.name}": the one-off window at {when} has started: ignored'
                        )
    for kind in DELETE_ORDER:
        by_name = {key_of(kind, c): c for c in getattr(current, kind.section) or []}
        for name in sorted(deleted.get(kind, ())):
            result.changes.append(Change("delete", kind, name, "", name, [], None, by_name[name]))
    return result


def _token_problem(spec: IntegrationSpec, found: IntegrationSpec | None, current: Config, where: str) -> str | None:
    """A kept token (`token:`) must be free here, or be the matched integration's own: never reassigned."""
    if not spec.token:
        return None
    if found is not None:
        if found.token and found.token != spec.token:
            return (
                f'{where}.token: integration "{found.name}" exists here with another token (its URL cannot change): '
                "give the file's integration another name, or delete the one here"
            )
        return None
    from oncall.configuration.changes import GIVEN_TOKEN, MIN_DISTINCT_TOKEN_CHARACTERS  # noqa: PLC0415 - rarely needed

    if not GIVEN_TOKEN.match(spec.token) or len(set(spec.token)) < MIN_DISTINCT_TOKEN_CHARACTERS:
        return f"{where}.token: not a token this service accepts (25 to 64 random letters and digits)"
    owner = next((c.name for c in current.integrations or [] if c.token == spec.token), None)
    if owner is not None:
        return f'{where}.token: integration "{owner}" here already has this token (a token is never reassigned)'
    return None


def _check_references(
    desired: Config,
    current: Config,
    renames: dict[Kind, dict[str, str]],
    deleted: dict[Kind, set[str]],
    result: Plan,
) -> None:
    """Every name the file uses must exist after the apply, and nothing deleted may still be named by a
    resource the file leaves alone."""
    known: dict[Kind, set[str]] = {}
    for kind in KINDS:
        existing = {key_of(kind, c) for c in getattr(current, kind.section) or []}
        existing -= deleted.get(kind, set()) | set(renames.get(kind, {}))
        known[kind] = existing | {key_of(kind, d) for d in getattr(desired, kind.section) or []}
    for kind in KINDS:
        for index, spec in enumerate(getattr(desired, kind.section) or []):
            for path, target, name in references(kind, spec, f"{kind.section}[{index}]"):
                if name not in known[target]:
                    result.problems.append(f'{path}: no {target.label} named "{name}"')
    declared = {kind: {key_of(kind, d) for d in getattr(desired, kind.section) or []} for kind in KINDS}
    renamed_away = {kind: set(renames.get(kind, {})) for kind in KINDS}
    for kind in KINDS:
        for spec in getattr(current, kind.section) or []:
            name = key_of(kind, spec)
            if name in declared[kind] or name in renamed_away[kind] or name in deleted.get(kind, set()):
                continue
            for _path, target, target_name in references(kind, spec, ""):
                if target_name in deleted.get(target, set()):
                    result.problems.append(
                        f'cannot delete {target.label} "{target_name}": {kind.label} "{name}", which the file does '
                        "not declare, still uses it"
                    )
