"""Escalation: the step runner that the Step Functions task calls for a group's escalation.

The runner executes consecutive instant steps in one invocation and returns at the first wait, so a wait
costs three state transitions (task, choice, wait) and an instant step none; when no step after that wait can
wait again (the snapshot never changes), the outcome says so (`last_wait`) and the run after the wait ends
the execution by itself (docs/decisions/0072-fewer-state-transitions-per-escalation.md). Every step re-reads the group
and the run stops if the group is no longer firing (or is attached/wiped) or if a newer escalation replaced
this one. The chain is the snapshot taken when the escalation started (escalation_plan), so later edits never
change a running escalation.

Step types (docs/oncall-compatibility.md#escalation-steps): wait, notify_persons, notify_person_next_each_time,
notify_on_call_from_schedule,
notify_team_members (these four hand users to their personal notification rules, see personal.py),
trigger_webhook, resolve, notify_if_time_from_to, notify_if_num_alerts_in_window (pause), repeat_escalation,
and our notify_channel extension. The execution's state carries the step index and the repetition
(how often repeat_escalation jumped back to step 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol

from oncall.escalation.personal import group_stopped, start_personal_notifications
from oncall.groups import actions, timeline
from oncall.groups.actions import ActionDeps
from oncall.models import (
    SYSTEM,
    AlertGroup,
    AlertGroupState,
    EscalationPause,
    EscalationStep,
    ResolvedBy,
    StepType,
    User,
)
from oncall.monitoring import maintenance
from oncall.notify.paging import Page, Pager, channel_label
from oncall.people import schedules
from oncall.platform.clock import Clock
from oncall.platform.errors import ConflictError
from oncall.storage.protocols import (
    GroupChangedError,
    GroupStore,
    MaintenanceStore,
    PeopleStore,
    RotationChangedError,
    RotationStore,
    ScheduleStore,
    WebhookStore,
)

MAX_REPEATS = 5  # OnCall's MAX_TIMES_REPEAT: the chain runs at most 6 times
DEFAULT_WAIT_SECONDS = 300  # a wait step without a duration (OnCall logs a failure and waits 5 minutes)
_MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class StepOutcome:
    done: bool
    next_step: int
    wait_seconds: int = 0
    repetition: int = 0
    paused: bool = False
    last_wait: bool = False  # the run after this wait is the last: nothing from `next_step` on can wait


class WebhookTrigger(Protocol):
    """Runs an outgoing webhook for a group (oncall.webhooks.config.trigger_escalation_webhook has this shape)."""

    def __call__(self, webhook_id: str, group_id: str, *, deps: ActionDeps) -> None: ...


def request_webhook_trigger(webhook_id: str, group_id: str, *, deps: ActionDeps) -> None:
    """Stand-in until outgoing webhooks are wired in: records the request on the group's timeline."""
    deps.store.add_timeline(
        timeline.entry(
            group_id,
            deps.clock.now(),
            timeline.WEBHOOK_TRIGGERED,
            f"Webhook {webhook_id} trigger requested.",
            webhook_id=webhook_id,
        )
    )


@dataclass(frozen=True)
class _Next:
    """What the runner does after a step: go on at `step`, wait first, or end the execution."""

    step: int
    repetition: int
    wait_seconds: int = 0
    end: bool = False
    paused: bool = False


def run_escalation(
    group_id: str,
    step: int,
    execution_name: str,
    *,
    pager: Pager,
    repetition: int = 0,
    trigger_webhook: WebhookTrigger = request_webhook_trigger,
    ical: schedules.IcalLookup | None = None,
) -> StepOutcome:
    store = pager.deps.store
    group = store.get_group(group_id)
    run = _Run(pager, execution_name, trigger_webhook, ical)
    index, rep = step, repetition
    while True:
        if not run.owns(group) or group_stopped(group):
            return StepOutcome(done=True, next_step=index, repetition=rep)
        steps = group.escalation.steps
        if index >= len(steps):
            break
        after = run.step(group, steps[index], index, rep)
        if after.end:
            return StepOutcome(done=True, next_step=after.step, repetition=after.repetition, paused=after.paused)
        if after.wait_seconds:
            return StepOutcome(
                done=False,
                next_step=after.step,
                wait_seconds=after.wait_seconds,
                repetition=after.repetition,
                last_wait=not may_wait(steps, after.step, after.repetition),
            )
        index, rep = after.step, after.repetition
        group = store.get_group(group_id)  # re-check before the next step
    store.finish_escalation(group_id, execution_name)
    store.add_timeline(
        timeline.entry(
            group_id, pager.deps.clock.now(), timeline.ESCALATION_FINISHED, "Escalation finished: no steps left."
        )
    )
    return StepOutcome(done=True, next_step=index, repetition=rep)


def may_wait(steps: list[EscalationStep], index: int, repetition: int) -> bool:
    """Can a run of the chain from step `index` return a wait? (A wait, a time window, or a repeat that
    jumps back.) False means the run after the current wait is the execution's last."""
    for step in steps[index:]:
        if step.type in (StepType.WAIT, StepType.NOTIFY_IF_TIME_FROM_TO):
            return True
        if step.type == StepType.REPEAT_ESCALATION and repetition < MAX_REPEATS:
            return True
    return False


class EscalationStore(GroupStore, PeopleStore, RotationStore, ScheduleStore, WebhookStore, MaintenanceStore, Protocol):
    """What running a step reads and writes: the group, who to page (people, schedules and their shifts, the
    round robin), webhooks, and the integration's maintenance (debug maintenance delivers nothing)."""


class _Run:
    def __init__(
        self, pager: Pager, execution: str, trigger_webhook: WebhookTrigger, ical: schedules.IcalLookup | None
    ) -> None:
        self.pager = pager
        self.deps = pager.deps
        self.store: EscalationStore = pager.deps.store
        self.clock: Clock = pager.deps.clock
        self.execution = execution
        self.trigger_webhook = trigger_webhook
        self.ical = ical

    def owns(self, group: AlertGroup | None) -> bool:
        return group is not None and group.escalation is not None and group.escalation.execution_name == self.execution

    def step(self, group: AlertGroup, step: EscalationStep, index: int, rep: int) -> _Next:
        go_on = _Next(index + 1, rep)
        match step.type:
            case StepType.WAIT:
                return _Next(index + 1, rep, wait_seconds=self._wait_seconds(group, step, index))
            case StepType.NOTIFY_CHANNEL:
                self._notify_channel(group, step, index, rep)
            case StepType.NOTIFY_PERSONS:
                self._page(group, step, index, rep, self._users(group, step, index, step.persons_to_notify))
            case StepType.NOTIFY_PERSON_NEXT_EACH_TIME:
                self._page(group, step, index, rep, self._next_in_rotation(group, step, index, rep))
            case StepType.NOTIFY_ON_CALL_FROM_SCHEDULE:
                self._page(group, step, index, rep, self._on_call(group, step, index))
            case StepType.NOTIFY_TEAM_MEMBERS:
                self._page(group, step, index, rep, self._team_members(group, step, index))
            case StepType.TRIGGER_WEBHOOK:
                self._trigger_webhook(group, step, index, rep)
            case StepType.RESOLVE:
                actions.resolve(
                    group.id,
                    SYSTEM,
                    self.deps,
                    strict=False,
                    resolved_by=ResolvedBy.LAST_STEP,
                    from_execution=self.execution,
                )
                return _Next(index + 1, rep, end=True)
            case StepType.NOTIFY_IF_TIME_FROM_TO:
                wait = self._outside_window(group, step, index)
                return _Next(index + 1, rep, wait_seconds=wait)
            case StepType.NOTIFY_IF_NUM_ALERTS_IN_WINDOW:
                if not self._enough_alerts(group, step):
                    paused = self._pause(group.id, step, index, rep, counted_until=group.last_alert_id)
                    return _Next(index, rep, end=True, paused=paused)
            case StepType.REPEAT_ESCALATION:
                if rep < MAX_REPEATS:
                    self._log(group, timeline.ESCALATION_REPEATED, f"Repeating the escalation ({rep + 1} of 5).", index)
                    return _Next(0, rep + 1)
        return go_on

    # ------------------------------------------------------------------------------------------ helpers
    def _log(self, group: AlertGroup, kind: str, text: str, index: int, **details) -> None:
        self.store.add_timeline(
            timeline.entry(group.id, self.clock.now(), kind, text, execution=self.execution, step=index, **details)
        )

    def _failed(self, group: AlertGroup, index: int, text: str) -> None:
        self._log(group, timeline.STEP_FAILED, f"Step {index + 1}: {text}", index)

    # ------------------------------------------------------------------------------------------ wait
    def _wait_seconds(self, group: AlertGroup, step: EscalationStep, index: int) -> int:
        if step.duration and step.duration > 0:
            return int(step.duration)
        self._failed(group, index, "the wait step has no duration; waiting 5 minutes.")
        return DEFAULT_WAIT_SECONDS

    # ------------------------------------------------------------------------------------------ notify
    def _notify_channel(self, group: AlertGroup, step: EscalationStep, index: int, rep: int) -> None:
        channel = step.channel or ""
        self.pager.deliver(
            group,
            Page(
                key=f"{self.execution}#{index}#{rep}",
                channel=channel,
                label=channel_label(channel),
                important=step.important,
                details={
                    "execution": self.execution,
                    "step": index,
                    "repetition": rep,
                    "channel": channel_label(channel),
                },
            ),
            still_wanted=self.still_runs,
        )

    def still_runs(self, group: AlertGroup) -> bool:
        """This execution may still act on `group` (it owns its escalation, and the group is firing)."""
        return self.owns(group) and not group_stopped(group)

    def _page(self, group: AlertGroup, step: EscalationStep, index: int, rep: int, users: list[User]) -> None:
        if not users:
            return
        names = ", ".join(u.username for u in users)
        self._log(
            group,
            timeline.USERS_PAGED,
            f"Step {index + 1} ({step.type.value}): paging {names}" + (" (important)." if step.important else "."),
            index,
            repetition=rep,
            user_ids=[u.id for u in users],
        )
        start_personal_notifications(
            group,
            users,
            step_index=index,
            repetition=rep,
            execution=self.execution,
            important=step.important,
            deps=self.deps,
        )

    def _users(self, group: AlertGroup, step: EscalationStep, index: int, user_ids: list[str]) -> list[User]:
        if not user_ids:
            self._failed(group, index, "no users to notify.")
            return []
        users: list[User] = []
        for user_id in dict.fromkeys(user_ids):
            user = self.store.get_user(user_id)
            if user is None:
                self._failed(group, index, f"user {user_id} no longer exists.")
            else:
                users.append(user)
        return users

    def _next_in_rotation(self, group: AlertGroup, step: EscalationStep, index: int, rep: int) -> list[User]:
        """Round robin across alert groups: the user after the one this policy paged last, in (username, id)
        order. The rotation lives on the policy and moves with a conditional write; the pick is remembered
        per (group, execution, step, repetition), so a retried step pages the same user."""
        users = sorted(
            self._users(group, step, index, step.persons_to_notify_next_each_time), key=lambda u: (u.username, u.id)
        )
        if not users:
            return []
        ids = [u.id for u in users]
        key = f"{self.execution}#{index}#{rep}"
        for _ in range(_MAX_ATTEMPTS):
            picked = self.store.get_rotation_pick(group.id, key)
            if picked is not None:
                return [u for u in users if u.id == picked] or [
                    u for u in [self.store.get_user(picked)] if u is not None
                ]
            state = self.store.get_rotation(step.id)
            position = ids.index(state.last_user_id) + 1 if state.last_user_id in ids else 0
            chosen = ids[position % len(ids)]
            try:
                self.store.record_rotation_pick(step.id, state, chosen, group.id, key)
            except RotationChangedError:
                continue
            return [u for u in users if u.id == chosen]
        raise ConflictError("The round-robin rotation is changing too fast; the step will be retried.")

    def _on_call(self, group: AlertGroup, step: EscalationStep, index: int) -> list[User]:
        schedule_id = step.notify_on_call_from_schedule
        schedule = self.store.get_schedule(schedule_id) if schedule_id else None
        if schedule is None:
            self._failed(group, index, f"schedule {schedule_id or '(none)'} does not exist.")
            return []
        try:
            from oncall.people.shift_config import with_shifts  # noqa: PLC0415 - only schedule steps need it

            schedule = with_shifts(schedule, self.store)
            on_call = schedules.on_call_user_ids(schedule, self.clock.now(), ical=self.ical)
        except Exception as error:  # noqa: BLE001 - a broken rotation or iCal feed is a logged failure (OnCall)
            self._failed(group, index, f"could not compute who is on call in {schedule.name}: {error}")
            return []
        if not on_call:
            self._failed(group, index, f"nobody is on call in schedule {schedule.name}.")
            return []
        return self._users(group, step, index, on_call)

    def _team_members(self, group: AlertGroup, step: EscalationStep, index: int) -> list[User]:
        team = self.store.get_team(step.team_to_notify) if step.team_to_notify else None
        if team is None:
            self._failed(group, index, f"team {step.team_to_notify or '(none)'} does not exist.")
            return []
        members = [u for u in self.store.list_users() if team.id in u.team_ids]
        if not members:
            self._failed(group, index, f"team {team.name} has no members.")
        return members

    # ------------------------------------------------------------------------------------------ webhook
    def _trigger_webhook(self, group: AlertGroup, step: EscalationStep, index: int, rep: int) -> None:
        if not step.action_to_trigger:
            self._failed(group, index, "no webhook to trigger.")
            return
        key = f"{self.execution}#{index}#{rep}#webhook"
        now = self.clock.now()
        try:  # claimed only while the group is as this step read it (an ack since then stops the webhook)
            claimed = self.store.claim_delivery(group.id, key, now, group_version=group.version)
        except GroupChangedError:
            fresh = self.store.get_group(group.id)
            if fresh is None or not self.still_runs(fresh):
                return
            raise  # changed, but still escalating (e.g. an alert was attached): the task's Retry runs it again
        if not claimed:
            return  # triggered by an earlier try of this step
        if maintenance.delivers_nothing(group, self.store, now):
            webhook = self.store.get_webhook(step.action_to_trigger)
            name = f"'{webhook.name}'" if webhook else step.action_to_trigger
            maintenance.would_have(
                group, f"triggered outgoing webhook {name}", now, self.store, execution=self.execution, step=index
            )
            return
        try:
            self.trigger_webhook(step.action_to_trigger, group.id, deps=self.deps)
        except Exception:
            self.store.release_delivery(group.id, key)
            raise

    # ------------------------------------------------------------------------------------------ time window
    def _outside_window(self, group: AlertGroup, step: EscalationStep, index: int) -> int:
        try:
            start = parse_utc_time(step.notify_if_time_from or "")
            end = parse_utc_time(step.notify_if_time_to or "")
        except ValueError:
            self._failed(group, index, "the time window is not configured; continuing.")
            return 0
        wait = seconds_until_window(self.clock.now(), start, end)
        if wait:
            until = self.clock.now() + timedelta(seconds=wait)
            self._log(
                group,
                timeline.TIME_WINDOW_WAIT,
                f"Outside {start:%H:%M:%S}–{end:%H:%M:%S} UTC: escalation continues at {until:%Y-%m-%d %H:%M:%S} UTC.",
                index,
            )
        return wait

    # ------------------------------------------------------------------------------------------ X alerts in Y min
    def _enough_alerts(self, group: AlertGroup, step: EscalationStep) -> bool:
        """More than X alerts in the Y minutes before the group's last alert? (OnCall: ≤ X pauses.)"""
        threshold = step.num_alerts_in_window or 0
        minutes = step.num_minutes_in_window or 0
        last = self.store.get_alert(group.last_alert_id)
        if last is None:
            return group.alerts_count > threshold
        ids = set(self.store.alert_ids_since(group.id, last.received_at - timedelta(minutes=minutes)))
        ids.add(last.id)  # the index may lag behind the group's own pointer
        return len(ids) > threshold

    def _pause(self, group_id: str, step: EscalationStep, index: int, rep: int, counted_until: str) -> bool:
        """Keep the step on the group and end the execution; the next alert resumes it (resume_if_paused)."""
        for _ in range(_MAX_ATTEMPTS):
            group = self.store.get_group(group_id)
            if not self.owns(group) or group_stopped(group):
                return False
            pause = EscalationPause(step=index, repetition=rep, at=self.clock.now())
            try:
                paused = self.store.update_group(group, {"escalation_pause": pause, "escalation_finished": True})
            except GroupChangedError:
                continue
            self._log(
                paused,
                timeline.ESCALATION_PAUSED,
                f"Escalation paused at step {index + 1}: not more than {step.num_alerts_in_window} alert(s) in "
                f"{step.num_minutes_in_window} minute(s); the next alert resumes it.",
                index,
            )
            # An alert that arrived while we counted saw no pause: resume for it.
            if self.store.get_group(group_id).last_alert_id != counted_until:
                resume_if_paused(group_id, self.deps)
            return True
        raise ConflictError("The alert group is changing too fast; the step will be retried.")


def resume_if_paused(group_id: str, deps: ActionDeps) -> bool:
    """A new alert reached a group whose escalation is paused: resume it from the paused step with the
    same snapshot (docs/oncall-compatibility.md#escalation-steps), under a new execution name. Only one of
    concurrent alerts wins (optimistic lock)."""
    store = deps.store
    for _ in range(_MAX_ATTEMPTS):
        group = store.get_group(group_id)
        if group is None or group.escalation is None or group.escalation_pause is None:
            return False
        if group.state != AlertGroupState.FIRING or group.root_group_id is not None:
            return False
        pause = group.escalation_pause
        resumes = group.escalation.resumes + 1
        base = group.id if group.escalation_restarts == 0 else f"{group.id}-{group.escalation_restarts}"
        snapshot = group.escalation.model_copy(update={"execution_name": f"{base}-resume{resumes}", "resumes": resumes})
        try:
            store.update_group(group, {"escalation_pause": None, "escalation": snapshot, "escalation_finished": False})
        except GroupChangedError:
            continue
        deps.escalations.start(snapshot.execution_name, group.id, step=pause.step, repetition=pause.repetition)
        store.add_timeline(
            timeline.entry(
                group.id,
                deps.clock.now(),
                timeline.ESCALATION_RESUMED,
                f"A new alert arrived: escalation resumes at step {pause.step + 1}.",
                execution=snapshot.execution_name,
                step=pause.step,
            )
        )
        return True
    raise ConflictError("The alert group is changing too fast; please retry.")


# ------------------------------------------------------------------------------------------ time windows
def parse_utc_time(text: str) -> time:
    """OnCall's `HH:MM:SSZ` (UTC); `HH:MM:SS` and `HH:MM` are accepted too."""
    value = text.strip().upper().removesuffix("Z")
    parts = value.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise ValueError(f"{text!r} is not a time like 09:00:00Z")
    hour, minute, second = (int(p) for p in (*parts, "00")[:3])
    return time(hour, minute, second)


def format_utc_time(moment: time) -> str:
    return moment.strftime("%H:%M:%SZ")


def in_window(moment: time, start: time, end: time) -> bool:
    """Inclusive at both ends; a window with start > end runs across midnight; start == end is all day."""
    if start < end:
        return start <= moment <= end
    return moment >= start or moment <= end


def seconds_until_window(now: datetime, start: time, end: time) -> int:
    """0 inside the window, else the seconds until the window next opens (its next `start`)."""
    now_utc = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    current = now_utc.time().replace(microsecond=0)
    if in_window(current, start, end):
        return 0
    opening = now_utc.replace(hour=start.hour, minute=start.minute, second=start.second, microsecond=0)
    if opening <= now_utc:
        opening += timedelta(days=1)
    return max(1, math.ceil((opening - now_utc).total_seconds()))


def record_failure(
    group_id: str, step: int, error: str, cause: str, *, store: GroupStore, clock: Clock, what: str = ""
) -> None:
    """Called by the state machine's Catch: the failure goes on the group's timeline."""
    if store.get_group(group_id) is None:
        return
    store.add_timeline(
        timeline.entry(
            group_id,
            clock.now(),
            timeline.ESCALATION_FAILED,
            f"{what or 'Escalation'} failed at step {step + 1}: {error}",
            error=error,
            cause=cause,
        )
    )
