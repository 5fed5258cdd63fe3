"""Personal notifications: a notify step hands every user it pages to that user's own notification rules
(`User.default_rules`, or `important_rules` for important steps; no rules = every contact once).

Each user's rules run as their own execution of the escalation state machine (kind "personal"): rule
`notify` delivers through one of the user's contacts, rule `wait` is a Wait state. So a wait inside
personal rules costs nothing while it waits and never holds up the escalation chain — the next escalation
step runs on time (OnCall #934 cut personal rules short instead). Every run re-checks the group and stops
once it was acknowledged, resolved, silenced, attached or wiped, or once its escalation was restarted.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from oncall.groups import timeline
from oncall.groups.actions import ActionDeps
from oncall.models import AlertGroup, NotificationRuleStep, User
from oncall.notify.paging import Page, Pager, pageable

PERSONAL = "personal"
_EXECUTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


class PersonalData(BaseModel):
    """The `data` of a personal execution."""

    model_config = ConfigDict(extra="ignore")

    user_id: str
    important: bool = False
    step_index: int  # the escalation step that paged the user
    repetition: int = 0  # the escalation's repetition (repeat_escalation) at that step
    execution: str  # the escalation execution that paged the user
    generation: int = 0  # the group's escalation_restarts then: a restarted escalation makes this run stale


@dataclass(frozen=True)
class RuleOutcome:
    done: bool
    next_step: int
    wait_seconds: int = 0


def execution_name(execution: str, step_index: int, repetition: int, user_id: str) -> str:
    """Deterministic, so a retried escalation step starts the same execution (which is then harmless)."""
    name = f"{execution}-p{step_index}r{repetition}-{user_id}"
    if _EXECUTION_NAME.match(name):
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:24]
    return f"{execution[:50]}-p-{digest}"


def group_stopped(group: AlertGroup | None) -> bool:
    """Nobody is paged about a group that is gone, acknowledged, resolved, silenced, attached or wiped."""
    return group is None or not pageable(group)


def start_personal_notifications(
    group: AlertGroup,
    users: list[User],
    *,
    step_index: int,
    repetition: int,
    execution: str,
    important: bool,
    deps: ActionDeps,
) -> None:
    for user in users:
        data = PersonalData(
            user_id=user.id,
            important=important,
            step_index=step_index,
            repetition=repetition,
            execution=execution,
            generation=group.escalation_restarts,
        )
        deps.escalations.start(
            execution_name(execution, step_index, repetition, user.id), group.id, PERSONAL, data.model_dump()
        )


def rules_for(user: User, important: bool) -> list[NotificationRuleStep]:
    rules = user.important_rules if important else user.default_rules
    if rules:
        return rules
    return [NotificationRuleStep(type="notify", contact=name) for name in user.contacts]


def run_personal(group_id: str, step: int, raw: dict, pager: Pager) -> RuleOutcome:
    """Run `raw`'s user's rules from rule `step` until the next wait."""
    data = PersonalData.model_validate(raw)
    store = pager.deps.store
    group = store.get_group(group_id)
    if group_stopped(group) or group.escalation_restarts != data.generation:
        return RuleOutcome(done=True, next_step=step)
    user = store.get_user(data.user_id)
    if user is None:
        _failed(pager, group, data, f"Can't notify user {data.user_id}: the user no longer exists.")
        return RuleOutcome(done=True, next_step=step)
    rules = rules_for(user, data.important)
    if not rules:
        _failed(pager, group, data, f"Can't notify {user.username}: they have no contact methods.")
        return RuleOutcome(done=True, next_step=step)
    index = step
    while index < len(rules):
        rule = rules[index]
        if rule.type == "wait":
            if not any(r.type == "notify" for r in rules[index + 1 :]):
                break  # a trailing wait would only cost state transitions
            return RuleOutcome(done=False, next_step=index + 1, wait_seconds=max(int(rule.duration or 0), 1))
        _notify(pager, group, user, data, index, rule)
        index += 1
    return RuleOutcome(done=True, next_step=index)


def _notify(pager: Pager, group: AlertGroup, user: User, data: PersonalData, index: int, rule) -> None:
    contact = rule.contact or ""
    url = user.contacts.get(contact)
    if not url:
        _failed(pager, group, data, f"Can't notify {user.username} via {contact or '(no contact)'}: no such contact.")
        return
    key = f"{data.execution}#{data.step_index}#{data.repetition}#{user.id}#{index}#{contact}"
    pager.deliver(
        group,
        Page(
            key=key,
            channel=url,
            label=f"{user.username} via {contact}",
            important=data.important,
            user_id=user.id,
            details={
                "execution": data.execution,
                "step": data.step_index,
                "repetition": data.repetition,
                "user_id": user.id,
                "contact": contact,
                "rule": index,
            },
        ),
        still_wanted=lambda fresh: not group_stopped(fresh) and fresh.escalation_restarts == data.generation,
    )


def _failed(pager: Pager, group: AlertGroup, data: PersonalData, text: str) -> None:
    pager.deps.store.add_timeline(
        timeline.entry(
            group.id,
            pager.deps.clock.now(),
            timeline.NOTIFICATION_FAILED,
            text,
            execution=data.execution,
            step=data.step_index,
            user_id=data.user_id,
        )
    )
