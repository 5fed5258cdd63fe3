"""What `oncall migrate` needs from the API: creating an integration with the token it had elsewhere (admin
tokens only, as strong as generated ones, never over another integration's token)."""

from __future__ import annotations

import pytest

KEPT = "Ab3dEf6hIj9kLm2nOp5qRs8tU"  # 25 letters and digits, like an OnCall token


def _editor_token(aws) -> str:
    return aws.api("POST", "tokens", {"name": "ci", "role": "editor"}).body["token"]


def test_an_admin_creates_an_integration_with_a_given_token_and_its_url_takes_alerts(aws):
    # when an admin creates an integration with the token it had on OnCall
    created = aws.api("POST", "integrations", {"type": "alertmanager", "name": "prom", "token": KEPT})
    # then its URL carries that token and the URL takes alerts
    assert created.status == 201
    assert created.body["link"] == f"https://oncall.test/integrations/v1/alertmanager/{KEPT}/"
    posted = aws.http(
        "POST", f"/integrations/v1/alertmanager/{KEPT}/", {"alerts": [{"status": "firing", "labels": {"a": "b"}}]}
    )
    assert posted.status == 200
    # and the token is not echoed back as a field
    assert "token" not in created.body


def test_a_given_token_that_is_taken_is_a_409_and_nothing_is_created(aws):
    # given an integration with the token
    assert aws.api("POST", "integrations", {"type": "webhook", "name": "first", "token": KEPT}).status == 201
    # when another is created with the same token
    clash = aws.api("POST", "integrations", {"type": "webhook", "name": "second", "token": KEPT})
    # then it is refused with a conflict and nothing was created
    assert clash.status == 409
    assert "token" in clash.body["detail"]
    names = [i["name"] for i in aws.api("GET", "integrations").body["results"]]
    assert names == ["first"]


def test_an_editor_token_cannot_choose_an_integration_token(aws):
    editor = _editor_token(aws)
    refused = aws.api("POST", "integrations", {"type": "webhook", "name": "x", "token": KEPT}, token=editor)
    assert refused.status == 403
    assert aws.api("GET", "integrations").body["count"] == 0
    # without a token the editor may still create one (a generated token)
    assert aws.api("POST", "integrations", {"type": "webhook", "name": "x"}, token=editor).status == 201


@pytest.mark.parametrize(
    "token",
    [
        "short1234",  # too short
        "a" * 30,  # not random
        "abcabcabcabcabcabcabcabcabc",  # a pattern
        "Ab3dEf6hIj9kLm2nOp5qRs8tU/",  # not alphanumeric (would break the URL)
        "Ab3dEf6hIj9kLm2nOp5qRs8tU" * 3,  # too long
    ],
)
def test_a_weak_or_malformed_token_is_a_400_naming_the_field(aws, token):
    refused = aws.api("POST", "integrations", {"type": "webhook", "name": "x", "token": token})
    assert refused.status == 400
    assert "token" in refused.body
    assert aws.api("GET", "integrations").body["count"] == 0
