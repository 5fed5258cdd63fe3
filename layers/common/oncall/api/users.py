"""/api/v1/users and /api/v1/personal_notification_rules (a read-only view of the users' rules)"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit

from oncall import wiring
from oncall.api import shapes
from oncall.api.common import Page, PerPage, RevealSecrets, metrics, page_of
from oncall.api.pagination import DEFAULT_PAGE_SIZE
from oncall.api.schemas import UserPatch, UserTestNotification, UserWrite, present_user
from oncall.models import ApiToken
from oncall.notify import user_notify
from oncall.people import users as people
from oncall.platform.errors import NotFoundError, UnsupportedMethodError
from oncall.platform.http import json_response, no_content

router = Router()


@router.get("/users", responses=shapes.page(shapes.UserOut))
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


@router.post("/users", responses=shapes.created(shapes.UserOut))
def create_user(body: UserWrite):
    """A person: contacts (channel URLs) and notification rules."""
    user = people.create_user(body, store=wiring.store(), clock=wiring.now_clock())
    metrics.add_metric(name="UsersCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, present_user(user))


@router.get("/users/<user_id>", responses=shapes.returns(shapes.UserOut))
def get_user(user_id: str, reveal_secrets: RevealSecrets = False) -> dict:
    """A user; `current` is the user the token belongs to."""
    if user_id == "current":  # OnCall: the user the API token belongs to
        token: ApiToken = router.context["api_token"]
        if not token.user_id:
            raise NotFoundError("This API token belongs to no user.")
        user_id = token.user_id
    return present_user(people.get_user(wiring.store(), user_id))


@router.put("/users/<user_id>", responses=shapes.returns(shapes.UserOut))
def replace_user(user_id: str, body: UserWrite) -> dict:
    """Replace the user (omitted fields take their defaults)."""
    return present_user(people.replace_user(user_id, body, store=wiring.store()))


@router.patch("/users/<user_id>", responses=shapes.returns(shapes.UserOut))
def patch_user(user_id: str, body: UserPatch) -> dict:
    """Change the fields sent (contacts and rules as a whole)."""
    return present_user(people.patch_user(user_id, body, store=wiring.store()))


@router.delete("/users/<user_id>", responses=shapes.deleted())
def delete_user(user_id: str):
    """Delete a user no schedule or escalation policy names (400 otherwise)."""
    people.delete_user(user_id, store=wiring.store())
    metrics.add_metric(name="UsersDeleted", unit=MetricUnit.Count, value=1)
    return no_content()


@router.post("/users/<user_id>/test_notification", responses=shapes.returns(shapes.UserTestNotificationOut))
def test_notification(user_id: str, body: UserTestNotification) -> dict:
    """Send a test message through the user's contacts (or the one named), by the channels the escalation uses.
    A channel's failure is reported per contact (`sent: false`, `error`), not as an HTTP error."""
    user = people.get_user(wiring.store(), user_id)
    outcomes = user_notify.send_test_notification(
        user, body.contact, notifier=wiring.notifier(), now=wiring.now_clock().now()
    )
    metrics.add_metric(name="UserTestNotifications", unit=MetricUnit.Count, value=1)
    return {"results": [o.as_dict() for o in outcomes]}


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
