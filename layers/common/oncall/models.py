"""Entities: plain data. Transitions live in the modules named after them (grouping, escalation, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Entity(BaseModel):
    # defer_build: a model's validator is built when it is first used, not at import. A function uses a few
    # of the ~40 models here; building all of them cost every cold start ~35 ms.
    model_config = ConfigDict(extra="ignore", defer_build=True)


# ------------------------------------------------------------------------------------------ configuration
GroupingScope = Literal["route", "integration"]


class RateLimit(Entity):
    """At most `alerts` accepted per fixed window of `per_seconds` (counted in DynamoDB)."""

    alerts: int
    per_seconds: int


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
    default_route_id: str
    created_at: datetime
    # Labels (oncall/templates/labels.py): static key -> value, dynamic key -> template over `payload`, and a template
    # that renders a JSON object of labels. OnCall keeps labels Cloud-only; here everyone has them.
    labels: dict[str, str] = Field(default_factory=dict)
    dynamic_labels: dict[str, str] = Field(default_factory=dict)
    labels_template: str | None = None
    # Beyond OnCall, each off by default (the OnCall-compatible behaviour):
    # "integration" leaves the route out of the grouping key (a firing and a resolve that route differently meet).
    grouping_scope: GroupingScope = "route"
    # Resolve a group when no new alert arrived for this long (None = never).
    auto_resolve_minutes: int | None = None
    # Per-integration ingest limit (None = unlimited).
    rate_limit: RateLimit | None = None
    # Set by route when the integration's templates keep exhausting the per-alert budget (template_budget.py):
    # until then its alerts use the type's default templates.
    templates_suspended_until: datetime | None = None


RoutingType = Literal["regex", "jinja2", "labels"]


class Route(Entity):
    id: str
    integration_id: str
    position: int
    is_default: bool = False
    routing_type: RoutingType = "regex"
    routing_regex: str | None = None
    # routing_type "labels": every pair must equal the alert's label (an alert without labels never matches).
    routing_labels: dict[str, str] = Field(default_factory=dict)
    escalation_chain_id: str | None = None
    created_at: datetime


class EscalationChain(Entity):
    id: str
    name: str
    team_id: str | None = None
    created_at: datetime


class StepType(StrEnum):
    """OnCall's public step types (docs/oncall-compatibility.md#escalation-steps) except the Slack- and
    Grafana-Incident-only ones, plus our
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


# ------------------------------------------------------------------------------------------ outgoing webhooks
class WebhookTrigger(StrEnum):
    """OnCall's public trigger names, plus `alert added to group` (grafana/oncall#4978)."""

    ESCALATION = "escalation"
    ALERT_GROUP_CREATED = "alert group created"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    SILENCE = "silence"
    UNSILENCE = "unsilence"
    UNRESOLVE = "unresolve"
    UNACKNOWLEDGE = "unacknowledge"
    STATUS_CHANGE = "status change"
    PERSONAL_NOTIFICATION = "personal notification"
    ALERT_ADDED = "alert added to group"


# The same names as a Literal, for the schemas that list them inline (API request bodies, the CLI's config
# files): derived from the enum, so a new trigger is added once, above.
WebhookTriggerName = Literal[tuple(trigger.value for trigger in WebhookTrigger)]  # type: ignore[valid-type]


HttpMethod = Literal["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]


class Webhook(Entity):
    """An outgoing webhook (OnCall's CustomWebhook): url, headers and data are Jinja2 templates."""

    id: str
    name: str
    team_id: str | None = None
    is_webhook_enabled: bool = True
    trigger_type: WebhookTrigger = WebhookTrigger.ESCALATION
    http_method: HttpMethod = "POST"
    url: str
    headers: str | None = None  # a template that renders a JSON object
    data: str | None = None  # the body template (ignored with forward_all)
    forward_all: bool = True
    username: str | None = None
    password: str | None = None
    authorization_header: str | None = None  # sent verbatim as Authorization
    trigger_template: str | None = None  # runs only if it renders "true" or "1"
    integration_filter: list[str] = Field(default_factory=list)  # empty = every integration
    preset: str | None = None
    timeout_seconds: int = 10
    max_retries: int = 3  # retries after the first attempt
    created_at: datetime


class WebhookResponse(Entity):
    """One delivery attempt of a webhook, as its delivery log shows it."""

    id: str  # sortable by time
    webhook_id: str
    event_id: str
    event: dict[str, Any] | None = None  # the GroupEvent it was for (to resend it)
    group_id: str | None = None
    trigger: str  # the event type, or "test" / "resend"
    attempt: int = 1
    at: datetime
    url: str | None = None
    method: str
    request_headers: dict[str, str] = Field(default_factory=dict)  # Authorization masked
    request_data: str | None = None
    status_code: int | None = None
    content: str | None = None  # the response body, at most 50 000 characters
    error: str | None = None
    outcome: Literal["delivered", "retrying", "failed"]
    next_attempt_in_seconds: int | None = None
    duration_ms: int | None = None


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
    # Seconds on call from each handoff (09:00 + 8 h = a day shift); None = the whole shift. Where a layer has
    # no one on call, earlier layers show through.
    duration: int | None = None


class ScheduleOverride(Entity):
    """Replaces whoever is on call by `user_id` between start and end (UTC)."""

    user_id: str
    start: datetime
    end: datetime


class OnCallShift(Entity):
    """OnCall's on-call shift (GET/POST /api/v1/on_call_shifts): one event, a recurring event, or a rotation
    of users; `override` shifts win over everything else. Times are wall-clock in `time_zone` (UTC if None).
    Who it puts on call when: oncall.people.on_call_shifts."""

    id: str
    name: str
    type: Literal["single_event", "recurrent_event", "rolling_users", "override"]
    schedule_id: str | None = None  # the calendar schedule it belongs to
    team_id: str | None = None
    time_zone: str | None = None
    level: int = 0  # priority: at a moment the highest level with someone on call wins
    start: datetime  # naive wall-clock start of the first event
    rotation_start: datetime | None = None  # events before it do not count (default: start)
    duration: int  # seconds each event lasts
    frequency: Literal["hourly", "daily", "weekly", "monthly"] | None = None
    interval: int = 1
    until: datetime | None = None  # naive wall-clock; no events start after it
    week_start: Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"] = "SU"
    by_day: list[Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]] = Field(default_factory=list)
    by_month: list[int] = Field(default_factory=list)
    by_monthday: list[int] = Field(default_factory=list)
    users: list[str] = Field(default_factory=list)  # single_event, recurrent_event, override
    rolling_users: list[list[str]] = Field(default_factory=list)  # rolling_users: the groups, in turn
    start_rotation_from_user_index: int = 0
    created_at: datetime


class ShiftSwap(Entity):
    """OnCall's shift swap: `beneficiary` asks someone to cover their on-call time in a schedule between
    `swap_start` and `swap_end`; once `benefactor` takes it, the benefactor is on call there instead."""

    id: str
    schedule_id: str
    swap_start: datetime
    swap_end: datetime
    beneficiary: str
    benefactor: str | None = None
    description: str | None = None
    created_at: datetime
    updated_at: datetime


class Schedule(Entity):
    id: str
    name: str
    team_id: str | None = None
    time_zone: str = "UTC"
    # Later layers win where they have someone on call (like OnCall's layers).
    layers: list[RotationLayer] = Field(default_factory=list)
    overrides: list[ScheduleOverride] = Field(default_factory=list)
    # An iCal feed instead of layers (the API's "ical" type): event summaries / attendees name the users
    # (see oncall.people.ical for the rule).
    ical_url: str | None = None
    created_at: datetime
    # OnCall's `shifts`: the on_call_shifts a calendar schedule takes (besides shifts naming it).
    shift_ids: list[str] = Field(default_factory=list)
    # The schedule's on_call_shifts, filled in when it is read for who is on call (they are items of their
    # own: never stored with the schedule).
    on_call_shifts: list[OnCallShift] = Field(default_factory=list, exclude=True)
    # Its taken shift swaps, likewise filled in when read for who is on call.
    taken_swaps: list[ShiftSwap] = Field(default_factory=list, exclude=True)


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
    # The first alert's labels (at most 15, sorted by key and value), frozen at creation.
    labels: dict[str, str] = Field(default_factory=dict)
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
    maintenance: MaintenanceMark | None = None  # see maintenance.py
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


class HeartbeatSignal(StrEnum):
    PING = "ping"  # success: …/heartbeat/
    START = "start"  # a run started: …/heartbeat/start
    FAIL = "fail"  # a run failed: …/heartbeat/fail


class HeartbeatState(StrEnum):
    NEW = "new"  # never signalled
    UP = "up"
    GRACE = "grace"  # past the expected time, within the grace period
    DOWN = "down"
    PAUSED = "paused"  # reset: disabled until the next signal


class HeartbeatTemplates(Entity):
    """Jinja templates of the "missing" and "restored" alerts' title and message (None = our default)."""

    missing_title: str | None = None
    missing_message: str | None = None
    restored_title: str | None = None
    restored_message: str | None = None


class PendingHeartbeatAlert(Entity):
    """A transition that was claimed but whose alert is not confirmed sent yet (retried by the sweep)."""

    kind: Literal["missing", "restored"]
    alert_id: str
    reason: str


class DeploymentSettings(Entity):
    """Deployment-wide behaviour (GET/PUT /api/v1/settings)."""

    # Minutes after an acknowledgement (and after each confirmation) to remind; 0 = never.
    acknowledge_remind_timeout: int = 0
    # Minutes after a reminder without confirmation to unacknowledge automatically; 0 = never.
    unacknowledge_timeout: int = 0
    # OnCall's organization setting: a person resolving a group (API, action link) must have written a
    # resolution note first. Resolves by the monitoring tool, the escalation or maintenance are not held.
    require_resolution_note: bool = False


class ResolutionNote(Entity):
    """A note on how an alert group was resolved (OnCall's resolution notes), shown on its timeline."""

    id: str
    alert_group_id: str
    text: str
    author: str | None = None  # the acting token's user id (None for a token without a user)
    source: str = "api"  # OnCall: web, slack, telegram, api…; notes come through the API here
    created_at: datetime


class Heartbeat(Entity):
    """Heartbeat monitoring of one integration: its settings and its state, in one item (see heartbeat.py)."""

    integration_id: str
    # settings
    period_seconds: int = 600
    grace_seconds: int = 60
    cron: str | None = None  # instead of the period: pings expected at these times (5-field cron)
    timezone: str = "UTC"  # of the cron expression
    post_only: bool = False  # refuse GET/HEAD signals (chat link previews must not ping)
    templates: HeartbeatTemplates = Field(default_factory=HeartbeatTemplates)
    # state
    enabled: bool = False  # armed by any signal, disarmed by reset
    last_ping_at: datetime | None = None
    last_start_at: datetime | None = None  # a run in progress (cleared by the next ping or fail)
    last_fail_at: datetime | None = None
    last_signal: HeartbeatSignal | None = None
    expected_at: datetime | None = None  # the next ping is expected by then
    down_at: datetime | None = None  # missing if nothing arrives by then (expected + grace, start + grace, fail)
    alerted: bool = False  # a "missing" alert is out and its "restored" alert is not
    alerted_at: datetime | None = None
    down_since: datetime | None = None
    outages: int = 0
    pings: int = 0  # incremented atomically by every ping
    pings_when_alerted: int = 0  # a ping since the "missing" alert (pings > this) restores; skew-proof
    pending: PendingHeartbeatAlert | None = None
    check_at: datetime | None = None  # when the sweep must look at it (the sparse index); None = never
    version: int = 0


@dataclass(frozen=True)
class HeartbeatSignalWrite:
    """What one signal writes (a single DynamoDB update on the ping path)."""

    kind: HeartbeatSignal
    at: datetime
    down_at: datetime
    expected_at: datetime | None = None  # pings only


# ------------------------------------------------------------------------------------------ maintenance
class MaintenanceMode(StrEnum):
    DEBUG = "debug"  # escalations run as a dry run: notifications are recorded, not sent
    MAINTENANCE = "maintenance"  # new alert groups are collected in one incident, without escalation


class MaintenanceMark(Entity):
    """What maintenance did to an alert group: `incident` (the maintenance incident of `integration_id`),
    `collected` (created during maintenance: attached to `incident_id`) or `debug` (created during debug
    maintenance: its escalation is a dry run)."""

    role: Literal["incident", "collected", "debug"]
    integration_id: str
    maintenance_id: str
    incident_id: str | None = None


class Maintenance(Entity):
    """The current maintenance of one integration (OnCall's maintenance_mode/started_at/end_at)."""

    id: str
    integration_id: str
    mode: MaintenanceMode
    started_at: datetime
    end_at: datetime
    author: str = ""
    incident_id: str | None = None
    window_id: str | None = None  # started by this scheduled window
    pause_running_escalations: bool = False
    paused: dict[str, str] = Field(default_factory=dict)  # group id -> the execution paused at the start
    ending_since: datetime | None = None  # the end is in progress (a lease: retried after it)
    check_at: datetime | None = None  # the sparse index: the end (or the end's retry)
    version: int = 0


class WindowClaim(Entity):
    """A sweep is starting this occurrence; the ids are fixed so that a retry starts the same maintenance."""

    occurrence: datetime
    maintenance_id: str
    incident_id: str
    until: datetime


class MaintenanceWindow(Entity):
    """A scheduled maintenance: once at `start_at`, or at every time of `cron` (in `timezone`)."""

    id: str
    integration_id: str
    mode: MaintenanceMode
    duration_seconds: int
    start_at: datetime | None = None
    cron: str | None = None
    timezone: str = "UTC"
    pause_running_escalations: bool = False
    next_start_at: datetime | None = None
    claim: WindowClaim | None = None
    check_at: datetime | None = None  # the sparse index: the next start (or the start's retry)
    created_at: datetime
    created_by: str = ""
    version: int = 0


# ------------------------------------------------------------------------------------------ messages
class IngestMessage(Entity):
    """The body of an ingest-queue message: a pointer to the durable alert record."""

    alert_id: str
    integration_id: str
