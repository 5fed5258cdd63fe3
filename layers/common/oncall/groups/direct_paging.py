"""Direct paging (OnCall's POST /api/v1/escalation): a person pages users — or a team's members — either into
a new alert group (title, message, source_url) or into an existing one (`alert_group_id`).

A new page is an alert on the team's hidden `direct_paging` integration (created on first use, one per team
like OnCall's), grouped and registered synchronously through the same `process_alert` the route function runs
(each page is its own group: its payload carries a fresh id). Its default route has no chain: the people
named are paged at once through their own notification rules (personal.py), as a notify step would.
"""

from __future__ import annotations

import uuid

from oncall.dispatch.pipeline import process_alert
from oncall.escalation.personal import start_personal_notifications
from oncall.groups import timeline
from oncall.groups.actions import ActionDeps
from oncall.groups.requests import DirectPagingRequest
from oncall.models import Actor, Alert, AlertGroup, IngestMessage, Integration, Route, User
from oncall.platform import ids
from oncall.platform.errors import ConflictError, ValidationError
from oncall.storage.protocols import IntegrationTokenTakenError

DIRECT_PAGING = "direct_paging"


def _field(name: str, message: str) -> ValidationError:
    return ValidationError(f"{name}: {message}", {name: [message]})


def _people(request: DirectPagingRequest, deps: ActionDeps) -> list[tuple[User, bool]]:
    store = deps.store
    people: list[tuple[User, bool]] = []
    for index, paged in enumerate(request.users):
        user = store.get_user(paged.id)
        if user is None:
            raise _field(f"users[{index}].id", f"User {paged.id} does not exist.")
        if all(user.id != u.id for u, _ in people):
            people.append((user, paged.important))
    if request.team is not None:
        if store.get_team(request.team) is None:
            raise _field("team", f"Team {request.team} does not exist.")
        named = {u.id for u, _ in people}
        members = [u for u in store.list_users() if request.team in u.team_ids and u.id not in named]
        people += [(u, request.important_team_escalation) for u in members]
    if not request.users and request.team is None:
        raise _field("users", "Name users to page, or a team.")
    if not people:
        raise _field("team", "The team has no members to page.")
    return people


def _integration(team_id: str | None, deps: ActionDeps) -> Integration:
    store = deps.store
    for integration in store.list_integrations():
        if integration.type == DIRECT_PAGING and integration.team_id == team_id:
            return integration
    now = deps.clock.now()
    integration_id = ids.public_id(ids.PREFIX_INTEGRATION)
    route = Route(
        id=ids.public_id(ids.PREFIX_ROUTE), integration_id=integration_id, position=0, is_default=True, created_at=now
    )
    integration = Integration(
        id=integration_id,
        name="Direct paging" if team_id is None else f"Direct paging ({team_id})",
        type=DIRECT_PAGING,
        token=ids.integration_token(),
        team_id=team_id,
        default_route_id=route.id,
        created_at=now,
    )
    try:
        store.create_integration(integration, route)
    except IntegrationTokenTakenError:  # 149 random bits: cannot happen; say so rather than hide it
        raise ConflictError("Could not create the direct paging integration; please retry.") from None
    return integration


def _new_group(request: DirectPagingRequest, actor: Actor, deps: ActionDeps, request_id: str) -> AlertGroup:
    if not request.title:
        raise _field("title", "A new page needs a title (or give alert_group_id to page into a group).")
    integration = _integration(request.team, deps)
    alert = Alert(
        id=ids.public_id(ids.PREFIX_ALERT),
        integration_id=integration.id,
        payload={
            "oncall": {
                "title": request.title,
                "message": request.message or "",
                "permalink": request.source_url,
                "author_username": actor.label,
                "uid": str(uuid.uuid4()),
            }
        },
        received_at=deps.clock.now(),
        request_id=request_id,
    )
    deps.store.put_alert(alert)
    outcome = process_alert(IngestMessage(alert_id=alert.id, integration_id=integration.id), deps=deps, alert=alert)
    group = deps.store.get_group(outcome.group_id) if outcome.group_id else None
    if group is None:
        raise ConflictError("The page could not be registered; please retry.")
    return group


def page(request: DirectPagingRequest, actor: Actor, *, deps: ActionDeps, request_id: str) -> AlertGroup:
    """Page the people of `request`; returns the group they were paged into."""
    people = _people(request, deps)
    if request.alert_group_id is not None:
        group = deps.store.get_group(request.alert_group_id)
        if group is None:
            raise _field("alert_group_id", f"Alert group {request.alert_group_id} does not exist.")
        if group.resolved:
            raise ConflictError("The alert group is resolved: nobody is paged about it.")
    else:
        group = _new_group(request, actor, deps, request_id)
    execution = f"page-{uuid.uuid4().hex[:12]}"
    names = ", ".join(u.username + (" (important)" if important else "") for u, important in people)
    deps.store.add_timeline(
        timeline.entry(
            group.id,
            deps.clock.now(),
            timeline.USERS_PAGED,
            f"{actor.label} paged {names}.",
            user_ids=[u.id for u, _ in people],
            direct_paging=True,
        )
    )
    for important in (False, True):
        users = [u for u, wanted in people if wanted is important]
        if users:
            start_personal_notifications(
                group, users, step_index=0, repetition=0, execution=execution, important=important, deps=deps
            )
    return group
