"""/api/v1/users and /api/v1/personal_notification_rules (a read-only view of the users' rules)"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import Field

from oncall import wiring
from oncall.api.common import Page, PerPage, RevealSecrets, metrics, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.responses import created, deleted, paged, returns
from oncall.models import ApiToken, NotificationRuleStep, User
from oncall.notify import user_notify
from oncall.people import users as people
from oncall.people.requests import NotificationRuleIn, UserPatch, UserTestNotification, UserWrite
from oncall.platform.bodies import ResponseBody
from oncall.platform.errors import NotFoundError, UnsupportedMethodError
from oncall.platform.http import json_response, no_content
from oncall.platform.masking import shown_url

router = Router()


class NotificationRuleOut(ResponseBody, echoed_by=(NotificationRuleIn,)):
    type: Literal["notify", "wait"]
    contact: str | None = None
    duration: int | None = None


class UserOut(ResponseBody, echoed_by=(UserWrite, UserPatch)):
    id: str = Field(description="U…")
    email: str | None
    username: str
    name: str
    role: str | None
    timezone: str
    teams: list[str]
    is_phone_number_verified: bool
    slack: list[dict[str, Any]] | None = Field(description="OnCall's linked Slack identities: always null here")
    avatar_url: str | None = Field(description="always null here")
    phone: str | None
    contacts: dict[str, str] = Field(description="Channel URLs, masked")
    default_rules: list[NotificationRuleOut]
    important_rules: list[NotificationRuleOut]


class ContactTestResultOut(ResponseBody):
    contact: str
    channel: str = Field(description="The contact's channel URL, masked")
    sent: bool
    error: str | None = Field(description="Why the channel refused it (secrets scrubbed); null when sent")


class UserTestNotificationOut(ResponseBody):
    results: list[ContactTestResultOut]


def _rule(step: NotificationRuleStep) -> dict[str, Any]:
    if step.type == "wait":
        return NotificationRuleOut.build(type=step.type, duration=step.duration)
    return NotificationRuleOut.build(type=step.type, contact=step.contact)


def present_user(user: User) -> dict[str, Any]:
    """OnCall's user shape plus our fields. Contact URLs are masked (they often are credentials)."""
    return UserOut.build(
        id=user.id,
        email=user.email,
        username=user.username,
        name=user.name,
        role=None,  # roles belong to API tokens here
        timezone=user.timezone,
        teams=list(user.team_ids),
        is_phone_number_verified=False,
        slack=None,  # OnCall: the linked Slack identities; no ChatOps here
        avatar_url=None,
        phone=user.phone,
        contacts={name: shown_url(url) for name, url in user.contacts.items()},
        default_rules=[_rule(s) for s in user.default_rules],
        important_rules=[_rule(s) for s in user.important_rules],
    )


@router.get("/users", responses=paged(UserOut))
def list_users(
    page: Page = 1,
    perpage: PerPage = DEFAULT_PAGE_SIZE,
    username: str | None = None,
    email: str | None = None,
    reveal_secrets: RevealSecrets = False,
) -> dict:
    """Users by username; `username` and `email` filter (any case)."""
    users = [
        u
        for u in wiring.store().list_users()
        if (username is None or u.username.lower() == username.lower())
        and (email is None or (u.email or "").lower() == email.lower())
    ]
    return page_of(router, [present_user(u) for u in users], page, perpage, username=username, email=email)


@router.post("/users", responses=created(UserOut))
def create_user(body: UserWrite):
    """A person: contacts (channel URLs) and notification rules."""
    user = people.create_user(body, store=wiring.store(), clock=wiring.now_clock())
    metrics.add_metric(name="UsersCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, present_user(user))


@router.get("/users/<user_id>", responses=returns(UserOut))
def get_user(user_id: str, reveal_secrets: RevealSecrets = False) -> dict:
    """A user; `current` is the user the token belongs to."""
    if user_id == "current":  # OnCall: the user the API token belongs to
        token: ApiToken = router.context["api_token"]
        if not token.user_id:
            raise NotFoundError("This API token belongs to no user.")
        user_id = token.user_id
    return present_user(people.get_user(wiring.store(), user_id))


@router.put("/users/<user_id>", responses=returns(UserOut))
def replace_user(user_id: str, body: UserWrite) -> dict:
    """Replace the user (omitted fields take their defaults)."""
    return present_user(people.replace_user(user_id, body, store=wiring.store()))


@router.patch("/users/<user_id>", responses=returns(UserOut))
def patch_user(user_id: str, body: UserPatch) -> dict:
    """Change the fields sent (contacts and rules as a whole)."""
    return present_user(people.patch_user(user_id, body, store=wiring.store()))


@router.delete("/users/<user_id>", responses=deleted())
def delete_user(user_id: str):
    """Delete a user no schedule or escalation policy names (400 otherwise)."""
    people.delete_user(user_id, store=wiring.store())
    metrics.add_metric(name="UsersDeleted", unit=MetricUnit.Count, value=1)
    return no_content()


@router.post("/users/<user_id>/test_notification", responses=returns(UserTestNotificationOut))
def test_notification(user_id: str, body: UserTestNotification) -> dict:
    """Send a test message through the user's contacts (or the one named), by the channels the escalation uses.
    A channel's failure is reported per contact (`sent: false`, `error`), not as an HTTP error."""
    user = people.get_user(wiring.store(), user_id)
    outcomes = user_notify.send_test_notification(
        user, body.contact, notifier=wiring.notifier(), now=wiring.now_clock().now()
    )
    metrics.add_metric(name="UserTestNotifications", unit=MetricUnit.Count, value=1)
    results = [ContactTestResultOut.build(**o.as_dict()) for o in outcomes]
    return UserTestNotificationOut.build(results=results)


# ------------------------------------------------------------------------------------------ rules (read-only)
@router.get("/personal_notification_rules")
def list_rules(
    page: Page = 1,
    perpage: PerPage = DEFAULT_PAGE_SIZE,
    user_id: str | None = None,
    important: bool | None = None,
) -> dict:
    rules = people.notification_rules(wiring.store(), user_id, important)
    flag = None if important is None else str(important).lower()
    return page_of(router, rules, page, perpage, user_id=user_id, important=flag)


@router.get("/personal_notification_rules/<rule_id>")
def get_rule(rule_id: str) -> dict:
    for rule in people.notification_rules(wiring.store(), None, None):
        if rule["id"] == rule_id:
            return rule
    raise NotFoundError()


@router.route("/personal_notification_rules", method=["POST"])
@router.route("/personal_notification_rules/<rule_id>", method=["PUT", "PATCH", "DELETE"])
def change_rule(rule_id: str | None = None):
    raise UnsupportedMethodError(
        "Personal notification rules are read-only here: change default_rules / important_rules with "
        "PATCH /api/v1/users/{id}."
    )
