"""/api/v1/users, /teams, /schedules and /personal_notification_rules through the real api handler on moto."""

import json

import pytest

from oncall import wiring
from oncall.people.ical import IcalFeeds
from oncall.people.ical_fetch import FetchError
from tests.integration.openapi_check import assert_shape
from tests.unit.people.test_ical import FEED

SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7F"


def _user(aws, username="alice", **fields):
    response = aws.api("POST", "users", {"username": username, "email": f"{username}@example.com", **fields})
    assert response.status == 201, response.body
    return response.body


def _schedule(aws, **fields):
    response = aws.api("POST", "schedules", {"name": "Primary", "time_zone": "Europe/Paris", **fields})
    assert response.status == 201, response.body
    return response.body


# ------------------------------------------------------------------------------------------ users
def test_user_create_get_list_update_delete(aws):
    created = _user(
        aws,
        name="Alice A.",
        timezone="Europe/Paris",
        phone="+33612345678",
        contacts={"slack": SLACK, "sms": "sns-sms://+33612345678"},
        default_rules=[{"type": "notify", "contact": "slack"}, {"type": "wait", "duration": 300}],
        important_rules=[{"type": "notify", "contact": "sms"}],
    )
    assert created["id"].startswith("U") and created["is_phone_number_verified"] is False
    assert created["teams"] == [] and created["role"] is None and created["timezone"] == "Europe/Paris"
    assert created["default_rules"] == [{"type": "notify", "contact": "slack"}, {"type": "wait", "duration": 300}]
    assert aws.api("GET", f"users/{created['id']}").body == created
    _user(aws, "bob")
    listed = aws.api("GET", "users", query="username=ALICE").body
    assert [u["id"] for u in listed["results"]] == [created["id"]]
    assert aws.api("GET", "users", query="email=bob@example.com").body["count"] == 1
    # PATCH changes only what is sent; PUT replaces the whole user
    patched = aws.api("PATCH", f"users/{created['id']}", {"name": "Alice B."}).body
    assert patched["name"] == "Alice B." and patched["phone"] == "+33612345678"
    assert patched["contacts"] == created["contacts"]
    replaced = aws.api("PUT", f"users/{created['id']}", {"username": "alice"}).body
    assert replaced["contacts"] == {} and replaced["phone"] is None and replaced["timezone"] == "UTC"
    assert aws.api("DELETE", f"users/{created['id']}").status == 204
    assert aws.api("GET", f"users/{created['id']}").status == 404
    assert aws.api("DELETE", f"users/{created['id']}").status == 404


def test_contact_secrets_are_masked_and_the_mask_round_trips(aws):
    created = _user(aws, contacts={"slack": SLACK, "mail": "ses://alice@example.com"})
    # on read the token is gone, the destination is recognisable
    assert created["contacts"] == {"slack": "slack://****/****", "mail": "ses://alice@example.com"}
    assert "TIiajk" not in str(aws.api("GET", "users").body)
    # sending the masked value back (a GET-modify-PUT script) keeps the stored secret
    body = {**created, "name": "Alice"}
    assert aws.api("PUT", f"users/{created['id']}", body).status == 200
    assert wiring.store().get_user(created["id"]).contacts["slack"] == SLACK
    # a masked value that is not this contact's mask is refused rather than stored
    response = aws.api("PATCH", f"users/{created['id']}", {"contacts": {"slack": "slack://****/other"}})
    assert response.status == 400 and "contacts" in response.body
    # a new real value replaces it
    aws.api("PATCH", f"users/{created['id']}", {"contacts": {"slack": "outbox://alice"}})
    assert wiring.store().get_user(created["id"]).contacts == {"slack": "outbox://alice"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "x", "timezone": "Mars/Olympus"}, "timezone"),
        ({"username": "x", "email": "not-an-address"}, "email"),
        ({"username": "x", "phone": "0612345678"}, "phone"),
        ({"username": "x", "contacts": {"slack": "hooks.slack.com/x"}}, "contacts"),
        ({"username": "x", "contacts": {"bad name": "outbox://x"}}, "contacts"),
        ({"username": "x", "default_rules": [{"type": "notify", "contact": "nope"}]}, "default_rules.0"),
        ({"username": "x", "default_rules": [{"type": "wait", "duration": 30}]}, "default_rules.0.duration"),
        ({"username": "x", "important_rules": [{"type": "wait"}]}, "important_rules.0"),
        ({"username": "x", "default_rules": [{"type": "wait", "duration": 60}] * 21}, "default_rules"),
        ({"username": "x", "teams": ["TNOPE"]}, "teams"),
        ({"username": "alice"}, "username"),
        ({"username": "x", "email": "ALICE@example.com"}, "email"),
    ],
)
def test_user_validation_names_the_field(aws, body, field):
    _user(aws, "alice")
    response = aws.api("POST", "users", body)
    assert response.status == 400, response.body
    assert field in response.body and field in response.body["detail"]


def test_patch_null_for_a_required_field_is_400(aws):
    user = _user(aws)
    response = aws.api("PATCH", f"users/{user['id']}", {"username": None})
    assert response.status == 400 and "username" in response.body
    response = aws.api("PATCH", f"users/{user['id']}", {"teams": None})
    assert response.status == 400 and "teams" in response.body


def test_current_user_needs_a_token_that_belongs_to_a_user(aws):
    assert aws.api("GET", "users/current").body == {"detail": "This API token belongs to no user."}


def test_personal_notification_rules_view(aws):
    alice = _user(
        aws,
        contacts={"slack": SLACK, "sms": "sns-sms://+33612345678", "hook": "json://example.com/x"},
        default_rules=[{"type": "notify", "contact": "slack"}, {"type": "wait", "duration": 300}],
        important_rules=[{"type": "notify", "contact": "sms"}, {"type": "notify", "contact": "hook"}],
    )
    _user(aws, "bob", contacts={"mail": "ses://bob@example.com"}, default_rules=[{"type": "notify", "contact": "mail"}])
    rules = aws.api("GET", "personal_notification_rules", query=f"user_id={alice['id']}").body["results"]
    assert [(r["position"], r["important"], r["type"]) for r in rules] == [
        (0, False, "notify_by_slack"),
        (1, False, "wait"),
        (0, True, "notify_by_sms"),
        (1, True, "notify_by_channel"),
    ]
    assert rules[1]["duration"] == 300 and rules[0]["contact"] == "slack"
    assert all(r["id"].startswith("N") and r["user_id"] == alice["id"] for r in rules)
    important = aws.api("GET", "personal_notification_rules", query="important=true").body["results"]
    assert [r["type"] for r in important] == ["notify_by_sms", "notify_by_channel"]
    assert aws.api("GET", "personal_notification_rules").body["count"] == 5
    # ids are stable: the same rule has the same id on every read, and can be read alone
    again = aws.api("GET", "personal_notification_rules", query=f"user_id={alice['id']}").body["results"]
    assert [r["id"] for r in again] == [r["id"] for r in rules] and len({r["id"] for r in rules}) == 4
    assert aws.api("GET", f"personal_notification_rules/{rules[2]['id']}").body == rules[2]
    assert aws.api("GET", "personal_notification_rules/NNOPE").status == 404
    assert aws.api("POST", "personal_notification_rules", {"user_id": alice["id"]}).status == 405
    assert aws.api("GET", "personal_notification_rules", query="user_id=UNOPE").status == 404


# ------------------------------------------------------------------------------------------ teams
def test_team_create_get_list_update_delete(aws):
    team = aws.api("POST", "teams", {"name": "SRE", "email": "sre@example.com"})
    assert team.status == 201 and team.body["id"].startswith("T") and team.body["members"] == []
    alice = _user(aws, teams=[team.body["id"]])
    assert alice["teams"] == [team.body["id"]]
    got = aws.api("GET", f"teams/{team.body['id']}").body
    assert got["members"] == [alice["id"]] and got["email"] == "sre@example.com"
    assert aws.api("GET", "teams", query="name=SRE").body["count"] == 1
    renamed = aws.api("PUT", f"teams/{team.body['id']}", {"name": "Platform"}).body
    assert renamed["name"] == "Platform" and renamed["email"] is None
    assert aws.api("POST", "teams", {"name": "platform"}).status == 400  # names are unique
    schedule = _schedule(aws, team_id=team.body["id"], layers=[{"users": [alice["id"]], "start": "2026-01-05T09:00"}])
    # deleting the team removes it from its members and schedules
    assert aws.api("DELETE", f"teams/{team.body['id']}").status == 204
    assert aws.api("GET", f"users/{alice['id']}").body["teams"] == []
    assert aws.api("GET", f"schedules/{schedule['id']}").body["team_id"] is None
    assert aws.api("GET", f"teams/{team.body['id']}").status == 404


# ------------------------------------------------------------------------------------------ schedules
def test_calendar_schedule_on_call_and_final_shifts(aws):
    alice, bob, carol = _user(aws, "alice"), _user(aws, "bob"), _user(aws, "carol")
    schedule = _schedule(
        aws,
        type="web",  # OnCall's name for it
        layers=[{"frequency": "weekly", "users": [alice["id"], bob["id"]], "start": "2026-03-23T09:00:00"}],
        overrides=[{"user": carol["id"], "start": "2026-03-31T12:00:00", "end": "2026-03-31T14:00:00+02:00"}],
    )
    assert schedule["id"].startswith("S") and schedule["type"] == "calendar"
    assert schedule["layers"][0]["start"] == "2026-03-23T09:00:00"
    # the override without an offset is read in Paris time
    assert schedule["overrides"] == [
        {"user_id": carol["id"], "start": "2026-03-31T10:00:00Z", "end": "2026-03-31T12:00:00Z"}
    ]
    assert len(schedule["on_call_now"]) == 1
    # who is on call: the Monday 09:00 Paris handoff stays at 09:00 after the DST change (29 March)
    before = aws.api("GET", f"schedules/{schedule['id']}/on_call", query="at=2026-03-30T06:59:00Z").body
    after = aws.api("GET", f"schedules/{schedule['id']}/on_call", query="at=2026-03-30T09:00:00%2B02:00").body
    assert [u["username"] for u in before["users"]] == ["alice"] and before["at"] == "2026-03-30T06:59:00Z"
    assert [u["username"] for u in after["users"]] == ["bob"] and after["ical_error"] is None
    shifts = aws.api(
        "GET", f"schedules/{schedule['id']}/final_shifts", query="start_date=2026-03-30&end_date=2026-03-31"
    ).body
    assert [(s["user_username"], s["shift_start"], s["shift_end"]) for s in shifts["results"]] == [
        ("alice", "2026-03-30T00:00:00Z", "2026-03-30T07:00:00Z"),
        ("bob", "2026-03-30T07:00:00Z", "2026-03-31T10:00:00Z"),
        ("carol", "2026-03-31T10:00:00Z", "2026-03-31T12:00:00Z"),
        ("bob", "2026-03-31T12:00:00Z", "2026-04-01T00:00:00Z"),
    ]
    assert shifts["results"][0]["user_pk"] == alice["id"] and shifts["results"][0]["user_email"] == "alice@example.com"


def test_schedule_update_and_delete(aws):
    alice, bob = _user(aws, "alice"), _user(aws, "bob")
    schedule = _schedule(aws, layers=[{"users": [alice["id"]], "frequency": "daily", "start": "2026-01-01T09:00"}])
    patched = aws.api("PATCH", f"schedules/{schedule['id']}", {"name": "Renamed"}).body
    assert patched["name"] == "Renamed" and patched["layers"] == schedule["layers"]
    replaced = aws.api(
        "PUT",
        f"schedules/{schedule['id']}",
        {"name": "Renamed", "time_zone": "UTC", "layers": [{"users": [bob["id"]], "start": "2026-01-01T00:00"}]},
    ).body
    assert replaced["on_call_now"] == [bob["id"]] and replaced["time_zone"] == "UTC"
    assert [s["name"] for s in aws.api("GET", "schedules", query="name=Renamed").body["results"]] == ["Renamed"]
    assert aws.api("DELETE", f"schedules/{schedule['id']}").status == 204
    assert aws.api("GET", f"schedules/{schedule['id']}").status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "Paris"}, "time_zone"),
        ({"layers": [{"users": ["UNOPE"], "start": "2026-01-01T09:00"}]}, "layers.0.users"),
        ({"layers": [{"users": [], "start": "2026-01-01T09:00"}]}, "layers.0.users"),
        ({"layers": [{"users": ["$alice"], "frequency": "custom", "start": "2026-01-01"}]}, "layers.0.shift_seconds"),
        (
            {"layers": [{"users": ["$alice"], "frequency": "daily", "shift_seconds": 3600, "start": "2026-01-01"}]},
            "layers.0.shift_seconds",
        ),
        (
            {"layers": [{"users": ["$alice"], "frequency": "hourly", "duration": 7200, "start": "2026-01-01"}]},
            "layers.0.duration",
        ),
        ({"layers": [{"users": ["$alice"], "frequency": "sometimes", "start": "2026-01-01"}]}, "layers.0.frequency"),
        ({"overrides": [{"user_id": "UNOPE", "start": "2026-01-01T10:00Z", "end": "2026-01-01T11:00Z"}]}, "overrides"),
        (
            {"overrides": [{"user_id": "$alice", "start": "2026-01-01T10:00Z", "end": "2026-01-01T09:00Z"}]},
            "overrides.0.end",
        ),
        ({"team_id": "TNOPE"}, "team_id"),
        ({"type": "ical"}, "ical_url_primary"),
        ({"type": "ical", "ical_url_primary": "http://cal.example/f.ics"}, "ical_url_primary"),
        ({"ical_url_primary": "https://cal.example/f.ics"}, "ical_url_primary"),
        (
            {
                "type": "ical",
                "ical_url": "https://cal.example/f.ics",
                "layers": [{"users": ["$alice"], "start": "2026-01-01"}],
            },
            "layers",
        ),
        ({"name": "Taken"}, "name"),
    ],
)
def test_schedule_validation_names_the_field(aws, body, field):
    alice = _user(aws, "alice")
    _schedule(aws, name="Taken")
    body = json.loads(json.dumps(body).replace("$alice", alice["id"]))
    response = aws.api("POST", "schedules", {"name": "New", **body})
    assert response.status == 400, response.body
    assert any(key.startswith(field) for key in response.body) and field.split(".")[0] in response.body["detail"]


def test_final_shifts_window_is_validated(aws):
    schedule = _schedule(aws)
    for query, field in [
        ("start_date=2026-01-01", "end_date"),
        ("start_date=2026-02-01&end_date=2026-01-01", "end_date"),
        ("start_date=yesterday&end_date=2026-01-01", "start_date"),
        ("start_date=2026-01-01&end_date=2027-06-01", "end_date"),
    ]:
        response = aws.api("GET", f"schedules/{schedule['id']}/final_shifts", query=query)
        assert response.status == 400 and field in response.body, (query, response.body)
    assert aws.api("GET", f"schedules/{schedule['id']}/on_call", query="at=noon").status == 400


def test_deleting_a_user_named_by_a_schedule_is_refused_with_the_references(aws):
    alice = _user(aws, "alice")
    schedule = _schedule(aws, layers=[{"users": [alice["id"]], "start": "2026-01-01T09:00"}])
    response = aws.api("DELETE", f"users/{alice['id']}")
    assert response.status == 400
    assert schedule["id"] in response.body["detail"] and response.body["schedules"]
    aws.api("DELETE", f"schedules/{schedule['id']}")
    assert aws.api("DELETE", f"users/{alice['id']}").status == 204


# ------------------------------------------------------------------------------------------ ical schedules
class _Fetcher:
    def __init__(self):
        self.error = None
        self.urls = []

    def __call__(self, url):
        self.urls.append(url)
        if self.error:
            raise self.error
        return FEED


@pytest.fixture
def feed(aws):
    """The api's feeds with an injected fetcher: no network."""
    fetcher = _Fetcher()
    feeds = IcalFeeds(lambda: wiring.store().list_users(), fetch=fetcher, ttl_seconds=0, error_ttl_seconds=0)
    original = wiring.ical_feeds
    wiring.ical_feeds = lambda: feeds
    try:
        yield fetcher
    finally:
        wiring.ical_feeds = original


def test_ical_schedule(aws, feed):
    alice, bob = _user(aws, "alice"), _user(aws, "bob")
    url = "https://calendar.example/private-s3cr3t/basic.ics"
    schedule = _schedule(aws, type="ical", ical_url_primary=url)
    assert schedule["type"] == "ical" and schedule["ical_url_primary"] == "https://calendar.example/****"
    on_call = aws.api("GET", f"schedules/{schedule['id']}/on_call", query="at=2026-03-05T10:00:00Z").body
    assert [u["id"] for u in on_call["users"]] == [bob["id"]]
    shifts = aws.api(
        "GET", f"schedules/{schedule['id']}/final_shifts", query="start_date=2026-03-02&end_date=2026-03-02"
    ).body["results"]
    assert [(s["user_pk"], s["shift_start"], s["shift_end"]) for s in shifts] == [
        (alice["id"], "2026-03-02T08:00:00Z", "2026-03-02T16:00:00Z")
    ]
    # the masked URL round-trips: a rename sent with the masked value keeps fetching the real feed
    renamed = aws.api("PUT", f"schedules/{schedule['id']}", {**schedule, "name": "Feed"})
    assert renamed.status == 200, renamed.body
    assert wiring.store().get_schedule(schedule["id"]).ical_url == url
    # a feed that fails: on_call says so (no one from the feed), final_shifts is a 502 naming no secret
    feed.error = FetchError("calendar.example answered HTTP 500")
    failing = aws.api("GET", f"schedules/{schedule['id']}/on_call", query="at=2026-03-05T10:00:00Z").body
    assert failing["users"] == [] and "HTTP 500" in failing["ical_error"]
    response = aws.api(
        "GET", f"schedules/{schedule['id']}/final_shifts", query="start_date=2026-03-02&end_date=2026-03-02"
    )
    assert response.status == 502 and "HTTP 500" in response.body["detail"] and "s3cr3t" not in response.body["detail"]
    assert aws.api("GET", f"schedules/{schedule['id']}").body["on_call_now"] == []
    assert set(feed.urls) == {url}


def test_listing_stops_fetching_feeds_when_its_time_budget_is_spent(aws, feed, monkeypatch):
    from oncall.api import schedules as schedules_api

    _schedule(aws, name="A", type="ical", ical_url_primary="https://a.example/f.ics")
    _schedule(aws, name="B", type="ical", ical_url_primary="https://b.example/f.ics")
    feed.urls.clear()
    monkeypatch.setattr(schedules_api, "LIST_FEED_BUDGET_SECONDS", -1)  # spent before the first schedule
    listed = aws.api("GET", "schedules").body
    assert [s["on_call_now"] for s in listed["results"]] == [[], []] and feed.urls == []
    monkeypatch.setattr(schedules_api, "LIST_FEED_BUDGET_SECONDS", 3.0)
    aws.api("GET", "schedules")
    assert sorted(feed.urls) == ["https://a.example/f.ics", "https://b.example/f.ics"]


# ------------------------------------------------------------------------------------------ test notification
def test_a_users_test_notification_goes_through_the_escalations_channels(aws):
    # given a user with working contacts (the outbox, SES on moto) and one the SMS channel refuses
    user = _user(aws, contacts={"pager": "outbox://alice", "mail": "ses://alice@example.com", "sms": "sns-sms://12345"})
    # when a test notification is sent to every contact
    response = aws.api("POST", f"users/{user['id']}/test_notification", {})
    # then each contact has its outcome (in the documented shape), delivered through the notifier (the outbox)
    assert response.status == 200, response.body
    assert_shape("UserTestNotificationOut", response.body)
    results = {r["contact"]: r for r in response.body["results"]}
    assert results["pager"] == {"contact": "pager", "channel": "outbox://alice", "sent": True, "error": None}
    assert results["mail"]["sent"] is True
    assert results["sms"]["sent"] is False and "E.164" in results["sms"]["error"]
    sent = [n for n in aws.outbox_lines() if n["user_id"] == user["id"]]
    assert sorted(n["channel"] for n in sent) == ["outbox://alice", "ses://alice@example.com", "sns-sms://12345"]
    assert {n["title"] for n in sent} == {"Test notification from Serverless OnCall"}
    # and one contact can be tested alone
    one = aws.api("POST", f"users/{user['id']}/test_notification", {"contact": "pager"})
    assert [r["contact"] for r in one.body["results"]] == ["pager"]


def test_a_test_notification_to_a_missing_contact_or_user_is_refused(aws):
    user = _user(aws, contacts={"pager": "outbox://alice"})
    missing = aws.api("POST", f"users/{user['id']}/test_notification", {"contact": "phone"})
    assert missing.status == 400 and "phone" in json.dumps(missing.body)
    assert aws.api("POST", "users/UNOPE/test_notification", {}).status == 404
    bare = _user(aws, "bob")
    assert aws.api("POST", f"users/{bare['id']}/test_notification", {}).status == 400
