"""Resolution notes (OnCall's): what was done about an alert group, written by people, shown on the group's
timeline. With the deployment setting `require_resolution_note`, a person resolves a group only once it has
one (actions.resolve checks it)."""

from __future__ import annotations

from oncall.groups import timeline
from oncall.groups.requests import ResolutionNoteCreate, ResolutionNoteUpdate
from oncall.models import Actor, ResolutionNote
from oncall.platform import ids
from oncall.platform.clock import Clock
from oncall.platform.errors import NotFoundError, ValidationError
from oncall.storage.protocols import GroupStore

TIMELINE_ADDED = "resolution_note_added"
TIMELINE_CHANGED = "resolution_note_changed"
TIMELINE_DELETED = "resolution_note_deleted"
_PREVIEW = 200  # characters of the note the timeline repeats


def _preview(text: str) -> str:
    return text if len(text) <= _PREVIEW else text[: _PREVIEW - 1] + "…"


def create(request: ResolutionNoteCreate, actor: Actor, *, store: GroupStore, clock: Clock) -> ResolutionNote:
    if store.get_group(request.alert_group_id) is None:
        message = f"Alert group {request.alert_group_id} does not exist."
        raise ValidationError(f"alert_group_id: {message}", {"alert_group_id": [message]})
    now = clock.now()
    note = ResolutionNote(
        id=ids.public_id(ids.PREFIX_RESOLUTION_NOTE),
        alert_group_id=request.alert_group_id,
        text=request.text,
        author=actor.user_id,
        created_at=now,
    )
    store.put_resolution_note(note)
    store.add_timeline(
        timeline.entry(
            note.alert_group_id,
            now,
            TIMELINE_ADDED,
            f"Resolution note by {actor.label}: {_preview(note.text)}",
            note_id=note.id,
        )
    )
    return note


def get(note_id: str, *, store: GroupStore) -> ResolutionNote:
    note = store.get_resolution_note(note_id)
    if note is None:
        raise NotFoundError()
    return note


def update(
    note_id: str, request: ResolutionNoteUpdate, actor: Actor, *, store: GroupStore, clock: Clock
) -> ResolutionNote:
    note = get(note_id, store=store)
    changed = note.model_copy(update={"text": request.text})
    store.put_resolution_note(changed)
    store.add_timeline(
        timeline.entry(
            note.alert_group_id,
            clock.now(),
            TIMELINE_CHANGED,
            f"Resolution note changed by {actor.label}: {_preview(changed.text)}",
            note_id=note.id,
        )
    )
    return changed


def delete(note_id: str, actor: Actor, *, store: GroupStore, clock: Clock) -> None:
    note = get(note_id, store=store)
    store.delete_resolution_note(note_id)
    store.add_timeline(
        timeline.entry(
            note.alert_group_id,
            clock.now(),
            TIMELINE_DELETED,
            f"Resolution note deleted by {actor.label}",
            note_id=note.id,
        )
    )
