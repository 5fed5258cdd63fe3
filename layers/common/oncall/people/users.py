"""Users and teams: creating, changing and deleting them with the rules that keep paging right.

- usernames and e-mail addresses are unique (case-insensitive): iCal feeds name people by them;
- a time zone is an IANA name; a phone number is E.164;
- contacts are named channel URLs with a scheme; secrets in them are never shown (masking.py), and a client
  that sends back the masked value it read keeps the stored URL;
- notification rules are at most 20 steps, notify steps name an existing contact, waits are 60–86 400 s;
- a user named by a schedule or an escalation step cannot be deleted (400 naming the references); deleting a
  team removes it from its members and schedules.

Saves that add references go through PeopleStore.save_user / ScheduleStore.save_schedule (the store checks the
referenced items exist in the same transaction); deletes are conditional on the reference epoch read before checking.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from typing import Any, Protocol, TypeVar
from zoneinfo import available_timezones

import pydantic

from oncall.models import EscalationStep, NotificationRuleStep, Team, User
from oncall.notify.channels import channel_problem
from oncall.people.requests import MAX_CONTACTS, NotificationRuleIn, TeamWrite, UserPatch, UserWrite
from oncall.platform import ids
from oncall.platform.clock import Clock
from oncall.platform.errors import ConflictError, NotFoundError, ValidationError
from oncall.platform.masking import MaskedValueError, unmask
from oncall.storage.protocols import (
    ConfigurationStore,
    MissingReferenceError,
    PeopleStore,
    ReferencedSinceError,
    ScheduleStore,
    schedule_user_ids,
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
_CONTACT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_CHANNEL_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")
_MAX_URL = 2048
_DELETE_ATTEMPTS = 3

# Fields of escalation steps that may name users (OnCall's names; checked with getattr so this works with
# whichever of them the step model has).
STEP_USER_FIELDS = ("persons_to_notify", "persons_to_notify_next_each_time", "user_ids", "users")

# Contact URL scheme → OnCall's personal notification rule type (for scripts reading the rules).
_RULE_TYPES = {
    "mailto": "notify_by_email",
    "mailtos": "notify_by_email",
    "ses": "notify_by_email",
    "sns-sms": "notify_by_sms",
    "sms": "notify_by_sms",
    "slack": "notify_by_slack",
    "tgram": "notify_by_telegram",
    "msteams": "notify_by_msteams",
    "workflows": "notify_by_msteams",
}


M = TypeVar("M", bound=pydantic.BaseModel)


class ReferrerStore(ConfigurationStore, ScheduleStore, Protocol):
    """Where users are named: schedules and escalation steps."""


class UserDeleteStore(PeopleStore, ReferrerStore, Protocol):
    """Deleting a user checks that nothing names it any more."""


class TeamDeleteStore(PeopleStore, ScheduleStore, Protocol):
    """Deleting a team takes it off its members and its schedules."""


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", {field: [message]})


def revalidate(model: type[M], data: dict[str, Any]) -> M:
    """Validate a merged (PATCH) body as the full model; problems become a 400 naming the fields."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as error:
        fields: dict[str, list[str]] = {}
        for problem in error.errors():
            name = ".".join(str(part) for part in problem.get("loc", ())) or "body"
            fields.setdefault(name, []).append(f"{problem.get('msg', 'Invalid value')}.")
        summary = "; ".join(f"{name}: {', '.join(messages)}" for name, messages in fields.items())
        raise ValidationError(f"Invalid request: {summary}", fields) from error


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_time_zone(name: str, field: str) -> None:
    if name not in _time_zones():
        raise _field_error(field, f"'{name}' is not an IANA time zone (like Europe/Paris or UTC).")


# ------------------------------------------------------------------------------------------ users
def _contacts(requested: dict[str, str], stored: dict[str, str]) -> dict[str, str]:
    if len(requested) > MAX_CONTACTS:
        raise _field_error("contacts", f"At most {MAX_CONTACTS} contacts.")
    contacts = {}
    for name, sent in requested.items():
        if not _CONTACT_NAME.match(name):
            raise _field_error("contacts", f"'{name}': names are 1–64 letters, digits, '_', '.' or '-'.")
        try:
            url = unmask(sent, stored.get(name))
        except MaskedValueError as error:
            raise _field_error("contacts", f"'{name}' {error}.") from error
        if len(url) > _MAX_URL or not _CHANNEL_URL.match(url):
            raise _field_error("contacts", f"'{name}' must be a URL with a scheme, like slack://… or ses://…")
        if problem := channel_problem(url):
            raise _field_error("contacts", f"'{name}': {problem}")
        contacts[name] = url
    return contacts


def _rules(field: str, requested: list[NotificationRuleIn], contacts: dict[str, str]) -> list[NotificationRuleStep]:
    steps = []
    for position, rule in enumerate(requested):
        where = f"{field}.{position}"
        if rule.type == "notify":
            if not rule.contact:
                raise _field_error(where, "A notify step names one of the user's contacts ('contact').")
            if rule.contact not in contacts:
                known = ", ".join(sorted(contacts)) or "none yet"
                raise _field_error(where, f"No contact named '{rule.contact}' (contacts: {known}).")
            steps.append(NotificationRuleStep(type="notify", contact=rule.contact))
        else:
            if rule.duration is None:
                raise _field_error(where, "A wait step needs 'duration' (60–86400 seconds).")
            steps.append(NotificationRuleStep(type="wait", duration=rule.duration))
    return steps


def _check_unique(store: PeopleStore, user_id: str | None, username: str, email: str | None) -> None:
    for other in store.list_users():
        if other.id == user_id:
            continue
        if other.username.lower() == username.lower():
            raise _field_error("username", f"The username '{username}' is taken.")
        if email and other.email and other.email.lower() == email.lower():
            raise _field_error("email", f"The e-mail address '{email}' belongs to another user.")


def _build_user(request: UserWrite, *, user_id: str, created_at, stored: User | None, store: PeopleStore) -> User:
    if request.email is not None and not _EMAIL.match(request.email):
        raise _field_error("email", f"'{request.email}' is not an e-mail address.")
    if request.phone is not None and not _PHONE.match(request.phone):
        raise _field_error("phone", "Use the international E.164 format, like +15551234567.")
    check_time_zone(request.timezone, "timezone")
    _check_unique(store, stored.id if stored else None, request.username, request.email)
    contacts = _contacts(request.contacts, stored.contacts if stored else {})
    return User(
        id=user_id,
        username=request.username,
        name=request.name,
        email=request.email,
        phone=request.phone,
        timezone=request.timezone,
        team_ids=list(dict.fromkeys(request.teams)),
        contacts=contacts,
        default_rules=_rules("default_rules", request.default_rules, contacts),
        important_rules=_rules("important_rules", request.important_rules, contacts),
        created_at=created_at,
    )


def _save_user(store: PeopleStore, user: User) -> User:
    try:
        store.save_user(user)
    except MissingReferenceError as error:
        raise _field_error("teams", f"No team with id {', '.join(error.ids)}.") from error
    return user


def create_user(request: UserWrite, *, store: PeopleStore, clock: Clock) -> User:
    user = _build_user(
        request, user_id=ids.public_id(ids.PREFIX_USER), created_at=clock.now(), stored=None, store=store
    )
    return _save_user(store, user)


def get_user(store: PeopleStore, user_id: str) -> User:
    user = store.get_user(user_id)
    if user is None:
        raise NotFoundError()
    return user


def _as_request(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "name": user.name,
        "email": user.email,
        "phone": user.phone,
        "timezone": user.timezone,
        "teams": user.team_ids,
        "contacts": user.contacts,
        "default_rules": [s.model_dump(exclude_none=True) for s in user.default_rules],
        "important_rules": [s.model_dump(exclude_none=True) for s in user.important_rules],
    }


def replace_user(user_id: str, request: UserWrite, *, store: PeopleStore) -> User:
    stored = get_user(store, user_id)
    user = _build_user(request, user_id=user_id, created_at=stored.created_at, stored=stored, store=store)
    return _save_user(store, user)


def patch_user(user_id: str, request: UserPatch, *, store: PeopleStore) -> User:
    stored = get_user(store, user_id)
    changes = request.model_dump(exclude_unset=True)
    for required in ("username", "timezone"):
        if required in changes and changes[required] is None:
            raise _field_error(required, "This field may not be null.")
    merged = revalidate(UserWrite, {**_as_request(stored), **changes})
    return replace_user(user_id, merged, store=store)


def step_user_ids(step: EscalationStep) -> list[str]:
    named: list[str] = []
    for field in STEP_USER_FIELDS:
        value = getattr(step, field, None)
        if isinstance(value, str):
            named.append(value)
        elif isinstance(value, list | tuple):
            named += [v for v in value if isinstance(v, str)]
    return named


def user_references(store: ReferrerStore, user_id: str) -> dict[str, list[str]]:
    """What names the user: {"schedules": [ids], "escalation_policies": [ids]} (empty lists omitted)."""
    references = {
        "schedules": [s.id for s in store.list_schedules() if user_id in schedule_user_ids(s)],
        "escalation_policies": [s.id for s in store.list_steps() if user_id in step_user_ids(s)],
    }
    return {kind: found for kind, found in references.items() if found}


def delete_user(user_id: str, *, store: UserDeleteStore) -> None:
    get_user(store, user_id)
    for _ in range(_DELETE_ATTEMPTS):
        epoch = store.reference_epoch(user_id)
        references = user_references(store, user_id)
        if references:
            named = "; ".join(f"{kind} {', '.join(found)}" for kind, found in references.items())
            raise ValidationError(
                f"User {user_id} cannot be deleted while it is referenced by {named}. Remove it there first.",
                {kind: [f"references user {user_id}: {', '.join(found)}"] for kind, found in references.items()},
            )
        try:
            store.delete_user_unreferenced(user_id, epoch)
            return
        except ReferencedSinceError:
            continue
    raise ConflictError(f"User {user_id} was referenced while being deleted; try again.")


# ------------------------------------------------------------------------------------------ rules view
_RULE_ID_ALPHABET = "ABCDEFGHIJKLMNPQRSTUVWXYZ123456789"


def rule_id(user_id: str, important: bool, position: int) -> str:
    """A stable public id for a rule step (it changes only if the step moves): N + 12 characters."""
    digest = int.from_bytes(hashlib.sha256(f"{user_id}:{int(important)}:{position}".encode()).digest()[:10])
    chars = []
    for _ in range(12):
        digest, index = divmod(digest, len(_RULE_ID_ALPHABET))
        chars.append(_RULE_ID_ALPHABET[index])
    return "N" + "".join(chars)


def rule_type(user: User, step: NotificationRuleStep) -> str:
    if step.type == "wait":
        return "wait"
    scheme = user.contacts.get(step.contact or "", "").split("://", 1)[0].lower()
    return _RULE_TYPES.get(scheme, "notify_by_channel")


def present_rules(user: User, important: bool) -> list[dict[str, Any]]:
    steps = user.important_rules if important else user.default_rules
    presented = []
    for position, step in enumerate(steps):
        body: dict[str, Any] = {
            "id": rule_id(user.id, important, position),
            "user_id": user.id,
            "position": position,
            "important": important,
            "type": rule_type(user, step),
        }
        if step.type == "wait":
            body["duration"] = step.duration
        else:
            body["contact"] = step.contact
        presented.append(body)
    return presented


def notification_rules(store: PeopleStore, user_id: str | None, important: bool | None) -> list[dict[str, Any]]:
    users = [get_user(store, user_id)] if user_id else store.list_users()
    return [
        rule
        for user in users
        for flag in (False, True)
        if important in (None, flag)
        for rule in present_rules(user, flag)
    ]


# ------------------------------------------------------------------------------------------ teams
def _check_team(request: TeamWrite, store: PeopleStore, team_id: str | None) -> None:
    if request.email is not None and not _EMAIL.match(request.email):
        raise _field_error("email", f"'{request.email}' is not an e-mail address.")
    if any(t.name.lower() == request.name.lower() and t.id != team_id for t in store.list_teams()):
        raise _field_error("name", f"A team named '{request.name}' already exists.")


def create_team(request: TeamWrite, *, store: PeopleStore, clock: Clock) -> Team:
    _check_team(request, store, None)
    team = Team(id=ids.public_id(ids.PREFIX_TEAM), name=request.name, email=request.email, created_at=clock.now())
    store.put_team(team)
    return team


def get_team(store: PeopleStore, team_id: str) -> Team:
    team = store.get_team(team_id)
    if team is None:
        raise NotFoundError()
    return team


def replace_team(team_id: str, request: TeamWrite, *, store: PeopleStore) -> Team:
    stored = get_team(store, team_id)
    _check_team(request, store, team_id)
    team = stored.model_copy(update={"name": request.name, "email": request.email})
    store.put_team(team)
    return team


def team_member_ids(store: PeopleStore, team_id: str) -> list[str]:
    return [u.id for u in store.list_users() if team_id in u.team_ids]


def delete_team(team_id: str, *, store: TeamDeleteStore) -> None:
    """Deleting a team removes it from its members and from schedules (removing a reference needs no
    check); integrations and chains keep their team_id as a plain label."""
    get_team(store, team_id)
    for _ in range(_DELETE_ATTEMPTS):
        epoch = store.reference_epoch(team_id)
        for user in store.list_users():
            if team_id in user.team_ids:
                store.put_user(user.model_copy(update={"team_ids": [t for t in user.team_ids if t != team_id]}))
        for schedule in store.list_schedules():
            if schedule.team_id == team_id:
                store.put_schedule(schedule.model_copy(update={"team_id": None}))
        try:
            store.delete_team_unreferenced(team_id, epoch)
            return
        except ReferencedSinceError:
            continue
    raise ConflictError(f"Team {team_id} was referenced while being deleted; try again.")
