"""OnCall's Slack-backed lists and user fields, for scripts and the Terraform provider: /user_groups and
/slack_channels answer an empty page (no Slack workspace is connected here), users carry OnCall's `slack`
and `avatar_url` fields (null)."""

from __future__ import annotations

import pytest

from tests.integration.openapi_check import assert_shape

EMPTY_PAGE = {
    "count": 0,
    "next": None,
    "previous": None,
    "results": [],
    "current_page_number": 1,
    "total_pages": 1,
}


@pytest.mark.parametrize(
    ("path", "query", "shape"),
    [
        ("user_groups", "slack_handle=sre", "UserGroupPage"),
        ("slack_channels", "channel_name=alerts", "SlackChannelPage"),
    ],
)
def test_slack_lists_are_empty_pages(aws, path, query, shape):
    for q in ("", query):
        listed = aws.api("GET", path, query=q)
        assert listed.status == 200
        assert {k: listed.body[k] for k in EMPTY_PAGE} == EMPTY_PAGE
        assert_shape(shape, listed.body)


def test_a_user_group_by_id_is_not_found(aws):
    found = aws.api("GET", "user_groups/SOMEGROUP")
    assert (found.status, found.body) == (404, {"detail": "Not found."})


def test_users_carry_oncalls_slack_and_avatar_fields_as_null(aws):
    created = aws.api("POST", "users", {"username": "alice", "email": "alice@example.com"})
    assert created.status == 201
    for body in (created.body, aws.api("GET", f"users/{created.body['id']}").body):
        assert body["slack"] is None and body["avatar_url"] is None
        assert_shape("UserOut", body)
