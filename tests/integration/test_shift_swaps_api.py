"""/api/v1/shift_swaps (OnCall's shape): a swap is requested, taken, and then changes who is on call in its
schedule for its time; bad requests are 400s naming the field, and a taken swap cannot be taken again."""

from __future__ import annotations

from tests.integration.conftest import put_user
from tests.integration.openapi_check import assert_shape


def _on_call(aws, schedule_id: str, at: str) -> list[str]:
    return [u["username"] for u in aws.api("GET", f"schedules/{schedule_id}/on_call", query=f"at={at}").body["users"]]


def test_a_taken_swap_changes_who_is_on_call_for_its_time(aws):
    alice, bob, carol = put_user("alice"), put_user("bob"), put_user("carol")
    shift = aws.api(
        "POST",
        "on_call_shifts",
        {
            "name": "Daily",
            "type": "recurrent_event",
            "start": "2026-01-01T00:00:00",
            "duration": 86400,
            "frequency": "daily",
            "users": [alice],
        },
    ).body
    schedule = aws.api("POST", "schedules", {"name": "Primary", "shifts": [shift["id"]]}).body["id"]
    # when alice asks for cover for one day in 2099 and carol takes it
    requested = aws.api(
        "POST",
        "shift_swaps",
        {
            "schedule": schedule,
            "swap_start": "2099-03-03T00:00:00Z",
            "swap_end": "2099-03-04T00:00:00Z",
            "beneficiary": alice,
            "description": "dentist",
        },
    )
    assert requested.status == 201, requested.body
    assert_shape("ShiftSwapOut", requested.body)
    swap = requested.body
    assert (swap["status"], swap["benefactor"], swap["id"][:3]) == ("open", None, "SSR")
    assert _on_call(aws, schedule, "2099-03-03T12:00:00Z") == ["alice"]
    taken = aws.api("POST", f"shift_swaps/{swap['id']}/take", {"benefactor": carol})
    assert taken.status == 200 and taken.body["status"] == "taken" and taken.body["benefactor"] == carol
    # then carol is on call for that day only
    assert _on_call(aws, schedule, "2099-03-03T12:00:00Z") == ["carol"]
    assert _on_call(aws, schedule, "2099-03-04T12:00:00Z") == ["alice"]
    assert aws.api("GET", "shift_swaps", query=f"schedule_id={schedule}").body["count"] == 1
    assert aws.api("GET", "shift_swaps", query="open_only=true").body["count"] == 0
    # a taken swap cannot be taken again or changed; deleting it gives alice her day back
    again = aws.api("POST", f"shift_swaps/{swap['id']}/take", {"benefactor": bob})
    assert again.status == 400 and "taken" in again.body["detail"]
    assert aws.api("DELETE", f"shift_swaps/{swap['id']}").status == 204
    assert _on_call(aws, schedule, "2099-03-03T12:00:00Z") == ["alice"]
    assert aws.api("GET", f"shift_swaps/{swap['id']}").status == 404


def test_bad_swaps_are_400_naming_the_field(aws):
    alice = put_user("alice")
    schedule = aws.api("POST", "schedules", {"name": "S"}).body["id"]
    base = {
        "schedule": schedule,
        "swap_start": "2099-03-03T00:00:00Z",
        "swap_end": "2099-03-04T00:00:00Z",
        "beneficiary": alice,
    }
    cases = [
        ({**base, "schedule": "SNOPE"}, "schedule"),
        ({**base, "beneficiary": "UNOPE"}, "beneficiary"),
        ({**base, "swap_end": "2099-03-02T00:00:00Z"}, "swap_end"),
        ({**base, "swap_start": "2000-01-01T00:00:00Z", "swap_end": "2000-01-02T00:00:00Z"}, "swap_end"),
    ]
    for body, field in cases:
        refused = aws.api("POST", "shift_swaps", body)
        assert refused.status == 400 and field in refused.body, (body, refused.body)
    swap = aws.api("POST", "shift_swaps", base).body
    own = aws.api("POST", f"shift_swaps/{swap['id']}/take", {"benefactor": alice})
    assert own.status == 400 and "benefactor" in own.body
    assert aws.api("POST", "shift_swaps/SSRNOPE/take", {"benefactor": alice}).status == 404
