"""/api/v1/on_call_shifts (OnCall's shapes): CRUD, validation, and calendar schedules whose on-call comes
from their shifts (the schedule's `shifts`, or a shift's `schedule_id`), down to the escalation paging them."""

from __future__ import annotations

from tests.builders import am_payload
from tests.integration.conftest import create_chain, create_integration, ingest_path, put_user
from tests.integration.openapi_check import assert_shape


def _weekly(users: list[list[str]], **fields) -> dict:
    return {
        "name": "Primary rotation",
        "type": "rolling_users",
        "time_zone": "Europe/Berlin",
        "start": "2026-03-02T09:00:00",
        "duration": 7 * 86400,
        "frequency": "weekly",
        "week_start": "MO",
        "rolling_users": users,
        **fields,
    }


def _on_call(aws, schedule_id: str, at: str) -> list[str]:
    return [u["username"] for u in aws.api("GET", f"schedules/{schedule_id}/on_call", query=f"at={at}").body["users"]]


def test_shift_crud_in_oncalls_shape(aws):
    alice, bob = put_user("alice"), put_user("bob")
    created = aws.api("POST", "on_call_shifts", _weekly([[alice], [bob]]))
    assert created.status == 201, created.body
    assert_shape("OnCallShiftOut", created.body)
    shift = created.body
    assert shift["id"].startswith("O") and shift["rolling_users"] == [[alice], [bob]]
    assert (shift["start"], shift["frequency"], shift["interval"], shift["week_start"]) == (
        "2026-03-02T09:00:00",
        "weekly",
        1,
        "MO",
    )
    assert aws.api("GET", f"on_call_shifts/{shift['id']}").body == shift
    assert [s["id"] for s in aws.api("GET", "on_call_shifts", query="name=Primary rotation").body["results"]] == [
        shift["id"]
    ]
    patched = aws.api("PATCH", f"on_call_shifts/{shift['id']}", {"interval": 2, "level": 1})
    assert patched.status == 200 and (patched.body["interval"], patched.body["level"]) == (2, 1)
    replaced = aws.api(
        "PUT",
        f"on_call_shifts/{shift['id']}",
        {"name": "Day", "type": "single_event", "start": "2026-03-02T09:00:00", "duration": 3600, "users": [bob]},
    )
    assert replaced.status == 200 and replaced.body["frequency"] is None and replaced.body["users"] == [bob]
    assert aws.api("DELETE", f"on_call_shifts/{shift['id']}").status == 204
    assert aws.api("GET", f"on_call_shifts/{shift['id']}").status == 404


def test_bad_shifts_are_400_naming_the_field(aws):
    alice = put_user("alice")
    base = _weekly([[alice]])
    cases = [
        ({**base, "frequency": None}, "frequency"),
        ({**base, "rolling_users": []}, "rolling_users"),
        ({**base, "rolling_users": [["UNOPE"]]}, "users"),
        ({**base, "time_zone": "Mars/Olympus"}, "time_zone"),
        ({**base, "by_day": ["XX"]}, "by_day"),
        ({**base, "until": "2026-01-01T00:00:00"}, "until"),
        ({**base, "schedule_id": "SNOPE"}, "schedule_id"),
        ({"name": "x", "type": "single_event", "start": "2026-03-02T09:00:00", "duration": 3600}, "users"),
        ({**base, "type": "single_event", "users": [alice], "rolling_users": None}, "frequency"),
    ]
    for body, field in cases:
        refused = aws.api("POST", "on_call_shifts", body)
        assert refused.status == 400, (body, refused.body)
        assert field in str(refused.body), (field, refused.body)
    assert aws.api("GET", "on_call_shifts").body["count"] == 0


def test_a_calendar_schedule_takes_its_on_call_from_its_shifts(aws):
    alice, bob, carol = put_user("alice"), put_user("bob"), put_user("carol")
    rotation = aws.api("POST", "on_call_shifts", _weekly([[alice], [bob]])).body
    override = aws.api(
        "POST",
        "on_call_shifts",
        {"name": "Cover", "type": "override", "start": "2026-03-04T12:00:00", "duration": 3600, "users": [carol]},
    ).body
    schedule = aws.api(
        "POST", "schedules", {"name": "Primary", "type": "web", "shifts": [rotation["id"], override["id"]]}
    ).body
    assert schedule["shifts"] == [rotation["id"], override["id"]]
    assert _on_call(aws, schedule["id"], "2026-03-03T10:00:00Z") == ["alice"]
    assert _on_call(aws, schedule["id"], "2026-03-10T10:00:00Z") == ["bob"]
    assert _on_call(aws, schedule["id"], "2026-03-04T12:30:00Z") == ["carol"]
    # a shift may also name its schedule
    extra = aws.api(
        "POST",
        "on_call_shifts",
        {**_weekly([[carol]]), "name": "Top", "level": 5, "schedule_id": schedule["id"]},
    ).body
    assert _on_call(aws, schedule["id"], "2026-03-03T10:00:00Z") == ["carol"]
    listed = aws.api("GET", "on_call_shifts", query=f"schedule_id={schedule['id']}").body["results"]
    assert {s["id"] for s in listed} == {rotation["id"], override["id"], extra["id"]}
    # unknown shift ids are refused
    refused = aws.api("PATCH", f"schedules/{schedule['id']}", {"shifts": ["ONOPE"]})
    assert refused.status == 400 and "shifts" in refused.body


def test_the_escalation_pages_whoever_the_shifts_put_on_call(aws):
    alice = put_user("alice")
    shift = aws.api(
        "POST",
        "on_call_shifts",
        {
            "name": "Always",
            "type": "recurrent_event",
            "start": "2020-01-01T00:00:00",
            "duration": 86400,
            "frequency": "daily",
            "users": [alice],
        },
    ).body
    schedule = aws.api("POST", "schedules", {"name": "S", "type": "calendar", "shifts": [shift["id"]]}).body
    chain = create_chain(
        aws, [{"type": "notify_on_call_from_schedule", "notify_on_call_from_schedule": schedule["id"]}]
    )
    integration = create_integration(aws, chain_id=chain["id"])
    aws.http("POST", ingest_path(integration), am_payload())
    aws.drain()
    aws.wait_for(lambda: len(aws.outbox_lines()) == 1)
    assert aws.outbox_lines()[0]["channel"] == "outbox://alice"
