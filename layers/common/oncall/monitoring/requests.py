"""The write models of heartbeats and maintenance (settings, a maintenance started now, scheduled windows):
validated here, in the domain that applies them; the API takes them as request bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_core import PydanticCustomError

from oncall.models import MaintenanceMode
from oncall.monitoring.heartbeat import MAX_SECONDS, MIN_PERIOD_SECONDS
from oncall.monitoring.maintenance import MAX_DURATION_SECONDS, MIN_DURATION_SECONDS
from oncall.platform import cron
from oncall.platform.bodies import RequestBody


def _no_period(message: str) -> PydanticCustomError:
    return PydanticCustomError("invalid", message)


class HeartbeatTemplatesIn(RequestBody):
    missing_title: str | None = Field(default=None, max_length=1000)
    missing_message: str | None = Field(default=None, max_length=10000)
    restored_title: str | None = Field(default=None, max_length=1000)
    restored_message: str | None = Field(default=None, max_length=10000)

    @field_validator("*")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        # Imported by the writes that send templates: Jinja2 stays out of the api's reads (decision 79).
        from oncall.templates.engine import check_syntax

        if value and (error := check_syntax(value)):
            raise _no_period(error)
        return value or None


class HeartbeatUpdate(RequestBody):
    """PUT/PATCH /integrations/{id}/heartbeat: only the fields sent change (null resets cron/templates)."""

    period: int | None = Field(
        default=None,
        ge=MIN_PERIOD_SECONDS,
        le=MAX_SECONDS,
        validation_alias=AliasChoices("period", "timeout_seconds"),
        description="Seconds between pings (60 s to 365 days).",
    )
    grace_period: int | None = Field(default=None, ge=0, le=MAX_SECONDS)
    cron: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    post_only: bool | None = Field(default=None, description="Refuse GET/HEAD signals (link previews).")
    templates: HeartbeatTemplatesIn | None = None

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value and (problem := cron.check_expression(value)):
            raise _no_period(problem.rstrip("."))
        return value or None

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is not None and (problem := cron.check_timezone(value)):
            raise _no_period(problem.rstrip("."))
        return value

    def settings(self) -> dict[str, Any]:
        """The Heartbeat fields this request changes (unsent fields keep their value; `cron: null` and
        `templates: null` reset to the defaults)."""
        sent = self.model_fields_set
        changes: dict[str, Any] = {}
        if "period" in sent and self.period is not None:
            changes["period_seconds"] = self.period
        if "grace_period" in sent and self.grace_period is not None:
            changes["grace_seconds"] = self.grace_period
        if "cron" in sent:
            changes["cron"] = self.cron
        if "timezone" in sent and self.timezone is not None:
            changes["timezone"] = self.timezone
        if "post_only" in sent and self.post_only is not None:
            changes["post_only"] = self.post_only
        if "templates" in sent:
            given = self.templates
            changes["templates"] = (
                given.model_dump(include=given.model_fields_set)
                if given is not None
                else dict.fromkeys(HeartbeatTemplatesIn.model_fields)
            )
        return changes


def _mode(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class MaintenanceStartRequest(RequestBody):
    mode: MaintenanceMode
    duration: int | None = Field(default=None, description="Seconds (60 s to 30 days).")
    end_at: datetime | None = Field(default=None, description="ISO 8601; instead of duration. Naive = UTC.")
    pause_running_escalations: bool = False

    _lower = field_validator("mode", mode="before")(lambda cls, value: _mode(value))
    _end = field_validator("end_at")(lambda cls, value: _utc(value))


class MaintenanceWindowCreate(RequestBody):
    mode: MaintenanceMode
    start_at: datetime | None = Field(default=None, description="ISO 8601 (naive = UTC): one window.")
    cron: str | None = Field(default=None, max_length=200, description="Or: recurring, at these times.")
    timezone: str = Field(default="UTC", max_length=64)
    duration: int | None = Field(default=None, ge=MIN_DURATION_SECONDS, le=MAX_DURATION_SECONDS)
    end_at: datetime | None = None
    pause_running_escalations: bool = False

    _lower = field_validator("mode", mode="before")(lambda cls, value: _mode(value))
    _times = field_validator("start_at", "end_at")(lambda cls, value: _utc(value))
