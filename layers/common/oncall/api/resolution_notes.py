"""/api/v1/resolution_notes: OnCall's resolution notes (CRUD, filter `alert_group_id`); each change is on the
group's timeline."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from oncall import wiring
from oncall.api import shapes
from oncall.api.common import Page, PerPage, actor, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.schemas import ResolutionNoteCreate, ResolutionNoteUpdate
from oncall.groups import resolution_notes
from oncall.platform.http import json_response, no_content

router = Router()


@router.get("/resolution_notes", responses=shapes.page(shapes.ResolutionNoteOut))
def list_notes(page: Page = 1, perpage: PerPage = DEFAULT_PAGE_SIZE, alert_group_id: str | None = None) -> dict:
    """Resolution notes, oldest first; `alert_group_id` filters."""
    notes = wiring.store().list_resolution_notes(alert_group_id)
    return page_of(router, [resolution_notes.present(n) for n in notes], page, perpage, alert_group_id=alert_group_id)


@router.post("/resolution_notes", responses=shapes.created(shapes.ResolutionNoteOut))
def create_note(body: ResolutionNoteCreate):
    note = resolution_notes.create(body, actor(router), store=wiring.store(), clock=wiring.now_clock())
    return json_response(201, resolution_notes.present(note))


@router.get("/resolution_notes/<note_id>", responses=shapes.returns(shapes.ResolutionNoteOut))
def get_note(note_id: str) -> dict:
    return resolution_notes.present(resolution_notes.get(note_id, store=wiring.store()))


@router.put("/resolution_notes/<note_id>", responses=shapes.returns(shapes.ResolutionNoteOut))
def replace_note(note_id: str, body: ResolutionNoteUpdate) -> dict:
    note = resolution_notes.update(note_id, body, actor(router), store=wiring.store(), clock=wiring.now_clock())
    return resolution_notes.present(note)


@router.patch("/resolution_notes/<note_id>", responses=shapes.returns(shapes.ResolutionNoteOut))
def update_note(note_id: str, body: ResolutionNoteUpdate) -> dict:
    return replace_note(note_id, body)


@router.delete("/resolution_notes/<note_id>", responses=shapes.deleted())
def delete_note(note_id: str):
    resolution_notes.delete(note_id, actor(router), store=wiring.store(), clock=wiring.now_clock())
    return no_content()
