"""The write models of alert groups (actions that take a body, direct paging, resolution notes), in OnCall
public API v1 field names: validated here, in the domain that applies them; the API takes them as request
bodies."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from oncall.platform.bodies import RefId, RequestBody


class PagedUserIn(RequestBody):
    id: str = Field(min_length=1, max_length=64)
    important: bool = False


class DirectPagingRequest(RequestBody):
    """POST /escalation (OnCall's direct paging): page people into a new alert group, or into an existing one
    (`alert_group_id`)."""

    title: str | None = Field(default=None, max_length=1500)
    message: str | None = Field(default=None, max_length=10_000)
    source_url: str | None = Field(default=None, max_length=2048)
    team: str | None = Field(default=None, max_length=64)
    users: list[PagedUserIn] = Field(default_factory=list, max_length=50)
    important_team_escalation: bool = False
    alert_group_id: str | None = Field(default=None, max_length=64)


class ResolutionNoteCreate(RequestBody):
    alert_group_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=10_000)


class ResolutionNoteUpdate(RequestBody):
    text: str = Field(min_length=1, max_length=10_000)


class SilenceRequest(RequestBody):
    # At most 364 days: the end of a timed silence is a Step Functions execution, which lasts at most a year.
    delay: int = Field(
        ge=-1, le=364 * 86400, description="Seconds to stay silenced (at most 364 days); -1 (or 0) = forever."
    )


class AttachRequest(RequestBody):
    root_alert_group_id: RefId


class DeleteRequest(RequestBody):
    mode: Literal["wipe", "delete"] = "wipe"
