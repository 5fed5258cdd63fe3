"""The people's write models (users, teams, schedules, on-call shifts, shift swaps), in OnCall public API v1
field names: validated here, in the domain that applies them; the API takes them as request bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from oncall.platform.bodies import RefId, RequestBody

Weekday = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


class OnCallShiftWrite(RequestBody):
    """POST and PUT /on_call_shifts (OnCall's fields; `schedule_id` ours: the schedule it belongs to)."""

    name: str = Field(min_length=1, max_length=200)
    type: Literal["single_event", "recurrent_event", "rolling_users", "override"]
    team_id: RefId | None = None
    schedule_id: RefId | None = None
    time_zone: str | None = Field(default=None, max_length=64)
    level: int = Field(default=0, ge=0, le=1000)
    start: datetime
    rotation_start: datetime | None = None
    duration: int = Field(ge=60, le=366 * 86400, description="seconds")
    frequency: Literal["hourly", "daily", "weekly", "monthly"] | None = None
    interval: int | None = Field(default=None, ge=1, le=1000)
    until: datetime | None = None
    week_start: Weekday | None = None
    by_day: list[Weekday] | None = Field(default=None, max_length=7)
    by_month: list[Annotated[int, Field(ge=1, le=12)]] | None = Field(default=None, max_length=12)
    by_monthday: list[Annotated[int, Field(ge=-31, le=31)]] | None = Field(default=None, max_length=31)
    users: list[RefId] | None = Field(default=None, max_length=50)
    rolling_users: list[list[RefId]] | None = Field(default=None, max_length=100)
    start_rotation_from_user_index: int | None = Field(default=None, ge=0)


class OnCallShiftPatch(RequestBody):
    """PATCH /on_call_shifts/{id}: only the fields sent change (checked as a whole write once merged)."""

    model_config = ConfigDict(extra="allow")
    takes_fields_of: ClassVar[type[BaseModel] | None] = OnCallShiftWrite


class ShiftSwapWrite(RequestBody):
    """POST and PUT /shift_swaps (OnCall's fields)."""

    schedule: RefId
    swap_start: datetime
    swap_end: datetime
    beneficiary: RefId
    description: str | None = Field(default=None, max_length=2000)


class ShiftSwapTake(RequestBody):
    benefactor: RefId


# Limits that keep one save inside a DynamoDB transaction (100 items: 2 per reference) and pages readable.
MAX_RULE_STEPS = 20
MAX_CONTACTS = 20
MAX_TEAMS_PER_USER = 20
MAX_LAYERS = 20
MAX_OVERRIDES = 200
MAX_SCHEDULE_USERS = 45


class NotificationRuleIn(RequestBody):
    type: Literal["notify", "wait"]
    contact: str | None = Field(default=None, description="notify: the name of one of the user's contacts")
    duration: int | None = Field(default=None, ge=60, le=86400, description="wait: seconds")


class UserWrite(RequestBody):
    """POST and PUT /users: the whole user (missing optional fields take their defaults)."""

    username: str = Field(min_length=1, max_length=150, pattern=r"^[A-Za-z0-9_.@+-]+$")
    name: str = Field(default="", max_length=150)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20)
    timezone: str = Field(default="UTC", max_length=64)
    teams: list[RefId] = Field(default_factory=list, max_length=MAX_TEAMS_PER_USER)
    contacts: dict[str, str] = Field(default_factory=dict, description="contact name → channel URL")
    default_rules: list[NotificationRuleIn] = Field(default_factory=list, max_length=MAX_RULE_STEPS)
    important_rules: list[NotificationRuleIn] = Field(default_factory=list, max_length=MAX_RULE_STEPS)


class UserPatch(RequestBody):
    """PATCH /users/{id}: only the fields sent change (contacts and rules are replaced as a whole)."""

    username: str | None = Field(default=None, min_length=1, max_length=150, pattern=r"^[A-Za-z0-9_.@+-]+$")
    name: str | None = Field(default=None, max_length=150)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20)
    timezone: str | None = Field(default=None, max_length=64)
    teams: list[RefId] | None = Field(default=None, max_length=MAX_TEAMS_PER_USER)
    contacts: dict[str, str] | None = None
    default_rules: list[NotificationRuleIn] | None = Field(default=None, max_length=MAX_RULE_STEPS)
    important_rules: list[NotificationRuleIn] | None = Field(default=None, max_length=MAX_RULE_STEPS)


class UserTestNotification(RequestBody):
    """POST /users/{id}/test_notification: one contact, or every contact when omitted."""

    contact: str | None = Field(default=None, min_length=1, max_length=100)


class TeamWrite(RequestBody):
    name: str = Field(min_length=1, max_length=100)
    email: str | None = Field(default=None, max_length=254)


class LayerIn(RequestBody):
    frequency: Literal["hourly", "daily", "weekly", "custom"] = "weekly"
    shift_seconds: int | None = Field(default=None, ge=900, le=90 * 86400, description="custom: shift length")
    duration: int | None = Field(default=None, ge=60, le=90 * 86400, description="seconds on call per shift")
    users: list[RefId] = Field(min_length=1, max_length=MAX_SCHEDULE_USERS)
    start: datetime = Field(description="the first handoff, local time in the schedule's time zone")


class OverrideIn(RequestBody):
    user_id: RefId = Field(validation_alias=AliasChoices("user_id", "user"))
    start: datetime
    end: datetime


class ScheduleWrite(RequestBody):
    """POST and PUT /schedules. `type` "web" (OnCall's name for web-edited schedules) means "calendar"."""

    name: str = Field(min_length=1, max_length=100)
    type: Literal["calendar", "web", "ical"] = "calendar"
    time_zone: str = Field(default="UTC", max_length=64)
    team_id: RefId | None = None
    layers: list[LayerIn] = Field(default_factory=list, max_length=MAX_LAYERS)
    overrides: list[OverrideIn] = Field(default_factory=list, max_length=MAX_OVERRIDES)
    ical_url: str | None = Field(
        default=None, max_length=2048, validation_alias=AliasChoices("ical_url_primary", "ical_url")
    )
    shifts: list[RefId] | None = Field(default=None, max_length=100, description="on_call_shifts ids (calendar)")


class SchedulePatch(RequestBody):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    type: Literal["calendar", "web", "ical"] | None = None
    time_zone: str | None = Field(default=None, max_length=64)
    team_id: RefId | None = None
    layers: list[LayerIn] | None = Field(default=None, max_length=MAX_LAYERS)
    overrides: list[OverrideIn] | None = Field(default=None, max_length=MAX_OVERRIDES)
    ical_url: str | None = Field(
        default=None, max_length=2048, validation_alias=AliasChoices("ical_url_primary", "ical_url")
    )
    shifts: list[RefId] | None = Field(default=None, max_length=100)
