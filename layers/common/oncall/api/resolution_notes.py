"""/api/v1/resolution_notes: OnCall's resolution notes (CRUD, filter `alert_group_id`); each change is on the
group's timeline."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from oncall import wiring
from oncall.api.common import Page, PerPage, actor, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.responses import created, deleted, paged, returns
from oncall.groups import resolution_notes
from oncall.groups.requests import ResolutionNoteCreate, ResolutionNoteUpdate
from oncall.models import ResolutionNote
from oncall.platform.bodies import ResponseBody
from oncall.platform.clock import api_time
from oncall.platform.http import json_response, no_content

router = Router()


class ResolutionNoteOut(ResponseBody):
    id: str = Field(description="M…")
    alert_group_id: str
    author: str | None = Field(description="The user id of the token that wrote it")
    source: str
    created_at: str
    text: str


def present_note(note: ResolutionNote) -> dict[str, Any]:
    return ResolutionNoteOut.build(
        id=note.id,
        alert_group_id=note.alert_group_id,
        author=note.author,
        source=note.source,
        created_at=api_time(note.created_at),
        text=note.text,
    )


@router.get("/resolution_notes", responses=paged(ResolutionNoteOut))
def list_notes(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, alert_group_id: str | None = None) -> dict:
    """Resolution notes, oldest first; `alert_group_id` filters."""
    notes = wiring.store().list_resolution_notes(alert_group_id)
    return page_of(router, [present_note(n) for n in notes], page, perpage, alert_group_id=alert_group_id)


@router.post("/resolution_notes", responses=created(ResolutionNoteOut))
def create_note(body: ResolutionNoteCreate):
    note = resolution_notes.create(body, actor(router), store=wiring.store(), clock=wiring.now_clock())
    return json_response(201, present_note(note))


@router.get("/resolution_notes/<note_id>", responses=returns(ResolutionNoteOut))
def get_note(note_id: str) -> dict:
    return present_note(resolution_notes.get(note_id, store=wiring.store()))


@router.put("/resolution_notes/<note_id>", responses=returns(ResolutionNoteOut))
def replace_note(note_id: str, body: ResolutionNoteUpdate) -> dict:
    note = resolution_notes.update(note_id, body, actor(router), store=wiring.store(), clock=wiring.now_clock())
    return present_note(note)


@router.patch("/resolution_notes/<note_id>", responses=returns(ResolutionNoteOut))
def update_note(note_id: str, body: ResolutionNoteUpdate) -> dict:
    return replace_note(note_id, body)


@router.delete("/resolution_notes/<note_id>", responses=deleted())
def delete_note(note_id: str):
    resolution_notes.delete(note_id, actor(router), store=wiring.store(), clock=wiring.now_clock())
    return no_content()
