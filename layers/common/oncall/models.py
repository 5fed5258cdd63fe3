"""Entities: plain data. Transitions live in the modules named after them (grouping, escalation, ...)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Entity(BaseModel):
    model_config = ConfigDict(extra="ignore")


# ------------------------------------------------------------------------------------------ configuration
class Integration(Entity):
    id: str
    name: str
    type: str
    token: str
    team_id: str | None = None
    description_short: str | None = None
    # Per-slot template overrides (slot name -> template text); a missing slot uses the type default.
    templates: dict[str, str] = Field(default_factory=dict)
    allow_source_based_resolving: bool = True
    heartbeat_timeout_seconds: int = 600
    default_route_id: str
    created_at: datetime


RoutingType = Literal["regex", "jinja2", "labels"]


class Route(Entity):
    id: str
    integration_id: str
    position: int
    is_default: bool = False
    routing_type: RoutingType = "regex"
    routing_regex: str | None = None
    escalation_chain_id: str | None = None
    created_at: datetime


class EscalationChain(Entity):
    id: str
    name: str
    team_id: str | None = None
    created_at: datetime


class StepType(StrEnum):
    """OnCall's public step types (§5.2) except the Slack- and Grafana-Incident-only ones, plus our
    `notify_channel` extension (notify a channel URL directly)."""

    WAIT = "wait"
    NOTIFY_PERSONS = "notify_persons"
    NOTIFY_PERSON_NEXT_EACH_TIME = "notify_person_next_each_time"
    NOTIFY_ON_CALL_FROM_SCHEDULE = "notify_on_call_from_schedule"
    NOTIFY_TEAM_MEMBERS = "notify_team_members"
    TRIGGER_WEBHOOK = "trigger_webhook"
    RESOLVE = "resolve"
    NOTIFY_IF_TIME_FROM_TO = "notify_if_time_from_to"
    NOTIFY_IF_NUM_ALERTS_IN_WINDOW = "notify_if_num_alerts_in_window"
    REPEAT_ESCALATION = "repeat_escalation"
    NOTIFY_CHANNEL = "notify_channel"


# Step types that page people (or a channel) and so honour `important`.
NOTIFY_STEP_TYPES = frozenset(
    {
        StepType.NOTIFY_PERSONS,
        StepType.NOTIFY_PERSON_NEXT_EACH_TIME,
        StepType.NOTIFY_ON_CALL_FROM_SCHEDULE,
        StepType.NOTIFY_TEAM_MEMBERS,
        StepType.NOTIFY_CHANNEL,
    }
)


class EscalationStep(Entity):
    """One escalation policy of a chain (OnCall's EscalationPolicy). Field names are the public API's."""

    id: str
    escalation_chain_id: str
    position: int
    type: StepType
    duration: int | None = None  # wait: seconds
    channel: str | None = None  # notify_channel: an Apprise URL, or outbox:// for the local outbox
    important: bool = False
    persons_to_notify: list[str] = Field(default_factory=list)  # notify_persons: user ids
    persons_to_notify_next_each_time: list[str] = Field(default_factory=list)  # round robin: user ids
    notify_on_call_from_schedule: str | None = None  # schedule id
    team_to_notify: str | None = None  # team id
    action_to_trigger: str | None = None  # outgoing webhook id
    notify_if_time_from: str | None = None  # "HH:MM:SSZ" (UTC)
    notify_if_time_to: str | None = None  # "HH:MM:SSZ" (UTC)
    num_alerts_in_window: int | None = None  # X
    num_minutes_in_window: int | None = None  # Y
    created_at: datetime


class ApiTokenRole(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


class ApiToken(Entity):
    id: str
    name: str
    role: ApiTokenRole
    digest: str
    created_at: datetime
    user_id: str | None = None  # the person acting with this token, when it belongs to one


# ------------------------------------------------------------------------------------------ people
class NotificationRuleStep(Entity):
    """One step of a person's notification rules: notify through one of their contacts, or wait."""

    type: Literal["notify", "wait"]
    contact: str | None = None  # notify: the name of one of the user's contacts
    duration: int | None = None  # wait: seconds


class User(Entity):
    id: str
    username: str
    name: str = ""
    email: str | None = None
    phone: str | None = None
    timezone: str = "UTC"
    team_ids: list[str] = Field(default_factory=list)
    # Named contact methods -> channel URL: an Apprise URL (slack://…, tgram://…, mailto://…, json://…),
    # ses://<address> (Amazon SES), sns-sms://<E.164 phone> (Amazon SNS SMS) or outbox://<name> (local).
    contacts: dict[str, str] = Field(default_factory=dict)
    # Ordered rules for normal and for important notifications; empty = notify every contact once.
    default_rules: list[NotificationRuleStep] = Field(default_factory=list)
    important_rules: list[NotificationRuleStep] = Field(default_factory=list)
    created_at: datetime


class Team(Entity):
    id: str
    name: str
    email: str | None = None
    created_at: datetime


class RotationLayer(Entity):
    """Users take turns, one shift each, from `start` (the first handoff, in the schedule's time zone)."""

    users: list[str]  # user ids, in rotation order
    frequency: Literal["hourly", "daily", "weekly", "custom"] = "weekly"
    shift_seconds: int | None = None  # custom: the length of one shift
    start: datetime  # naive local time of the first handoff; rotation runs forward (and backward) from it


class ScheduleOverride(Entity):
    """Replaces whoever is on call by `user_id` between start and end (UTC)."""

    user_id: str
    start: datetime
    end: datetime


class Schedule(Entity):
    id: str
    name: str
    team_id: str | None = None
    time_zone: str = "UTC"
    # Later layers win where they have someone on call (like OnCall's layers).
    layers: list[RotationLayer] = Field(default_factory=list)
    overrides: list[ScheduleOverride] = Field(default_factory=list)
    # An iCal feed instead of (or on top of) layers: event summaries name the on-call usernames.
    ical_url: str | None = None
    created_at: datetime


# ------------------------------------------------------------------------------------------ alerts
class Alert(Entity):
    id: str
    integration_id: str
    payload: dict[str, Any]
    received_at: datetime
    request_id: str
    is_demo: bool = False
    group_id: str | None = None


class ResolvedBy(StrEnum):
    SOURCE = "source"
    USER = "user"
    LAST_STEP = "last_step"
    WIPED = "wiped"
    DISABLE_MAINTENANCE = "disable_maintenance"
    TIMEOUT = "timeout"  # time-based auto-resolve


class ActorKind(StrEnum):
    USER = "user"  # a person, through the API, the CLI or an action link
    SOURCE = "source"  # the monitoring tool (resolve/acknowledge templates)
    SYSTEM = "system"  # escalation steps, timers, maintenance
    API = "api"  # an API token that belongs to no user


class Actor(Entity):
    kind: ActorKind
    user_id: str | None = None
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.user_id or self.kind.value


SOURCE = Actor(kind=ActorKind.SOURCE, name="the alert source")
SYSTEM = Actor(kind=ActorKind.SYSTEM, name="Serverless OnCall")


class AlertGroupState(StrEnum):
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    SILENCED = "silenced"
    RESOLVED = "resolved"


class EscalationSnapshot(Entity):
    """The chain as it was when this escalation started; later edits never change a running escalation."""

    execution_name: str
    chain_id: str
    steps: list[EscalationStep]
    started_at: datetime
    resumes: int = 0  # how often a paused escalation was resumed by a new alert (names the executions)


class EscalationPause(Entity):
    """A "notify if X alerts in Y minutes" step paused the escalation: the next alert added to the group
    resumes it from `step` (same snapshot, same repetition)."""

    step: int
    repetition: int = 0
    at: datetime


class AlertGroup(Entity):
    id: str
    number: int
    integration_id: str
    route_id: str
    # Storage key of the grouping key; None when the alert could not be grouped (demo, empty grouping).
    grouping_key: str | None = None
    title: str
    started_at: datetime
    alerts_count: int = 1
    first_alert_id: str
    last_alert_id: str
    # Optimistic lock for state changes (alert appends do not touch it).
    version: int = 0
    resolved: bool = False
    resolved_at: datetime | None = None
    resolved_by: ResolvedBy | None = None
    resolved_by_actor: Actor | None = None
    acknowledged: bool = False
    acknowledged_at: datetime | None = None
    acknowledged_by: Actor | None = None
    silenced: bool = False
    silenced_at: datetime | None = None
    silenced_until: datetime | None = None  # None while silenced = forever
    silenced_by: Actor | None = None
    root_group_id: str | None = None  # attached to this group
    dependent_ids: list[str] = Field(default_factory=list)  # groups attached to this one
    wiped_at: datetime | None = None
    escalation: EscalationSnapshot | None = None
    escalation_finished: bool = False
    escalation_restarts: int = 0
    escalation_pause: EscalationPause | None = None
    # When the acknowledgement was last made or confirmed ("still working on it?"); reminders and the
    # auto-unacknowledge timer carry it and do nothing once it changed.
    ack_confirmed_at: datetime | None = None

    @property
    def state(self) -> AlertGroupState:
        if self.resolved:
            return AlertGroupState.RESOLVED
        if self.acknowledged:
            return AlertGroupState.ACKNOWLEDGED
        if self.silenced:
            return AlertGroupState.SILENCED
        return AlertGroupState.FIRING


class TimelineEntry(Entity):
    group_id: str
    at: datetime
    type: str
    text: str
    details: dict[str, Any] = Field(default_factory=dict)


class Notification(Entity):
    """What a channel delivers: already rendered for the channel's surface (title/message for chat, a short
    title for SMS), so channels never touch templates or routing."""

    group_id: str
    group_number: int
    integration_id: str = ""
    integration_name: str
    channel: str  # the channel URL (see User.contacts)
    surface: str = "web"  # the appearance templates used: web, slack, sms, phone_call, telegram, email, msteams
    title: str
    message: str
    link: str | None = None
    important: bool = False
    user_id: str | None = None  # the person notified, for personal notifications
    # Signed one-click actions: {"acknowledge": url, "resolve": url, "silence_1h": url}.
    action_links: dict[str, str] = Field(default_factory=dict)
    idempotency_key: str


class DeploymentSettings(Entity):
    """Deployment-wide behaviour (GET/PUT /api/v1/settings)."""

    # Minutes after an acknowledgement (and after each confirmation) to remind; 0 = never.
    acknowledge_remind_timeout: int = 0
    # Minutes after a reminder without confirmation to unacknowledge automatically; 0 = never.
    unacknowledge_timeout: int = 0


class Heartbeat(Entity):
    """Heartbeat monitoring of one integration: enabled by its first ping."""

    integration_id: str
    last_ping_at: datetime | None = None
    due_at: datetime | None = None


# ------------------------------------------------------------------------------------------ messages
class IngestMessage(Entity):
    """The body of an ingest-queue message: a pointer to the durable alert record."""

    alert_id: str
    integration_id: str
