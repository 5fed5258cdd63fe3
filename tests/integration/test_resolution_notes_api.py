"""/api/v1/resolution_notes (OnCall's shape): CRUD, the group's timeline, and the deployment setting that makes
people write one before they resolve."""

from __future__ import annotations

from tests.builders import am_payload
from tests.integration.conftest import create_chain, create_integration, ingest_path
from tests.integration.openapi_check import assert_shape


def _group(aws) -> str:
    chain = create_chain(aws, [{"type": "wait", "duration": 3600}])
    integration = create_integration(aws, chain_id=chain["id"])
    aws.http("POST", ingest_path(integration), am_payload())
    aws.drain()
    [group] = aws.api("GET", "alert_groups", query=f"integration_id={integration['id']}").body["results"]
    return group["id"]


def _timeline(aws, group_id: str) -> list[tuple[str, str]]:
    return [(e["type"], e["text"]) for e in aws.api("GET", f"alert_groups/{group_id}/timeline").body["results"]]


def test_a_note_is_created_listed_changed_and_deleted_and_each_step_is_on_the_timeline(aws):
    group_id = _group(aws)
    # when a note is written
    created = aws.api("POST", "resolution_notes", {"alert_group_id": group_id, "text": "Restarted the exporter"})
    assert created.status == 201
    assert_shape("ResolutionNoteOut", created.body)
    note = created.body
    assert note["id"].startswith("M") and note["source"] == "api" and note["author"] is None
    # then it is listed (also by group) and readable
    assert [n["id"] for n in aws.api("GET", "resolution_notes").body["results"]] == [note["id"]]
    by_group = aws.api("GET", "resolution_notes", query=f"alert_group_id={group_id}").body
    assert [n["text"] for n in by_group["results"]] == ["Restarted the exporter"]
    assert aws.api("GET", "resolution_notes", query="alert_group_id=INOPE").body["count"] == 0
    assert aws.api("GET", f"resolution_notes/{note['id']}").body == note
    # and changed, then deleted
    changed = aws.api("PUT", f"resolution_notes/{note['id']}", {"text": "Disk full: cleaned /var/log"})
    assert changed.status == 200 and changed.body["text"] == "Disk full: cleaned /var/log"
    assert aws.api("DELETE", f"resolution_notes/{note['id']}").status == 204
    assert aws.api("GET", f"resolution_notes/{note['id']}").status == 404
    notes = [(kind, text) for kind, text in _timeline(aws, group_id) if kind.startswith("resolution_note")]
    assert [kind for kind, _ in notes] == [
        "resolution_note_added",
        "resolution_note_changed",
        "resolution_note_deleted",
    ]
    assert "Restarted the exporter" in notes[0][1]


def test_bad_notes_are_400_naming_the_field(aws):
    group_id = _group(aws)
    missing_group = aws.api("POST", "resolution_notes", {"alert_group_id": "INOPE", "text": "x"})
    assert missing_group.status == 400 and "alert_group_id" in missing_group.body
    empty = aws.api("POST", "resolution_notes", {"alert_group_id": group_id, "text": ""})
    assert empty.status == 400 and "text" in str(empty.body)
    assert aws.api("PATCH", "resolution_notes/MNOPE", {"text": "x"}).status == 404
    assert aws.api("DELETE", "resolution_notes/MNOPE").status == 404


def test_the_setting_makes_people_write_a_note_before_resolving(aws):
    group_id = _group(aws)
    assert aws.api("GET", "settings").body["require_resolution_note"] is False
    assert aws.api("PUT", "settings", {"require_resolution_note": True}).body["require_resolution_note"] is True
    # when a person resolves without a note, it is refused and the group stays open
    refused = aws.api("POST", f"alert_groups/{group_id}/resolve")
    assert refused.status == 400 and "resolution note" in refused.body["detail"]
    assert aws.api("GET", f"alert_groups/{group_id}").body["state"] == "firing"
    # with a note it resolves
    aws.api("POST", "resolution_notes", {"alert_group_id": group_id, "text": "Fixed"})
    resolved = aws.api("POST", f"alert_groups/{group_id}/resolve")
    assert resolved.status == 200 and resolved.body["state"] == "resolved"
    # the monitoring tool's own resolve is never held back
    other = _group(aws)
    aws.http("POST", ingest_path_of(aws, other), am_payload(status="resolved"))
    aws.drain()
    assert aws.api("GET", f"alert_groups/{other}").body["state"] == "resolved"


def ingest_path_of(aws, group_id: str) -> str:
    group = aws.api("GET", f"alert_groups/{group_id}").body
    integration = aws.api("GET", f"integrations/{group['integration_id']}").body
    return ingest_path(integration)
