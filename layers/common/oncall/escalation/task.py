"""One run of the escalation state machine's task, whatever the execution is: a group's escalation, one
user's personal notification rules ("personal"), an acknowledge reminder, or another timer (timers.py).

The `escalate` handler parses the request into a TaskRequest and calls `advance`; the state it returns
drives the state machine: `done` ends it (Choice), `wait_seconds` is the next Wait, and `last_wait` says that
the run after that wait is the last one (RunLastSteps, which ends the execution without a Choice: decision
0078). A last run (`last`) must not ask for another wait: it would end the execution with work left, so it
raises instead (retried, then recorded by the failure path). With `state.failure` set (from the Catch, after
the retries), the failure is recorded on the group's timeline instead.

A run that raises is retried by the state machine (Retry on States.TaskFailed, TASK_RETRIES times). Every
failed attempt goes on the group's timeline (`escalation_attempt_failed`, with the error): the failing run
writes it (best effort: when DynamoDB is what failed, that write may fail as well), and a retry (`attempt` > 0,
from $$.State.RetryCount) writes the entries of earlier attempts that are missing, so the timeline always shows
that a step needed retries. Deliveries are claimed, so a retried step never pages twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field

from oncall.escalation.personal import PERSONAL, run_personal
from oncall.escalation.reminders import send_ack_reminder
from oncall.escalation.stepfunctions import ESCALATION
from oncall.escalation.steps import WebhookTrigger, record_failure, request_webhook_trigger, run_escalation
from oncall.escalation.timers import run_timer, wait_before_firing
from oncall.groups import actions, timeline
from oncall.notify.paging import Pager
from oncall.people import schedules


class Failure(BaseModel):
    Error: str = "Unknown"
    Cause: str = ""


class TaskState(BaseModel):
    model_config = ConfigDict(extra="allow")

    group_id: str
    kind: str = ESCALATION
    step: int = 0
    repetition: int = 0  # escalations: how often repeat_escalation jumped back to step 0
    done: bool = False
    wait_seconds: int = 0
    last_wait: bool = False  # the run after this wait is the last (the state machine's RunLastSteps)
    data: dict[str, Any] = Field(default_factory=dict)
    failure: Failure | None = None


class TaskRequest(BaseModel):
    state: TaskState
    execution: str
    attempt: int = 0  # $$.State.RetryCount: 0 on the first run of this state, n on its n-th retry
    last: bool = False  # RunLastSteps: the execution ends after this run, whatever it returns


class LastRunWouldWaitError(RuntimeError):
    """A run the state machine treats as the last asked for another wait (the steps after it were to have
    none): ending quietly would drop the rest of the chain, so the failure path records it instead."""


# The state machine's Retry on States.TaskFailed (statemachines/escalation.asl.json, checked by a test).
TASK_RETRIES = 2
_logger = Logger(child=True)


@dataclass(frozen=True)
class Engine:
    """What the task needs besides the request: delivery and the integrations of other capabilities."""

    pager: Pager
    trigger_webhook: WebhookTrigger = request_webhook_trigger
    ical: schedules.IcalLookup | None = None


@dataclass(frozen=True)
class Advanced:
    state: dict[str, Any]  # the task's output: the execution's next state
    metric: str  # the business event to count


def advance(request: TaskRequest, engine: Engine) -> Advanced:
    """Run the task; a failure is recorded on the timeline, then raised for the state machine to retry."""
    deps = engine.pager.deps
    if request.state.failure is not None:
        return _advance(request, engine)
    if request.attempt > 0:
        _best_effort(_record_unrecorded_attempts, request, deps)
    try:
        advanced = _advance(request, engine)
        if request.last and not advanced.state["done"]:
            raise LastRunWouldWaitError(
                f"the last run asks to wait {advanced.state['wait_seconds']} s before step {advanced.state['step'] + 1}"
            )
        return advanced
    except Exception as error:
        _best_effort(_record_attempt_failure, request, deps, f"{type(error).__name__}: {error}")
        raise


def _best_effort(record, request: TaskRequest, deps: actions.ActionDeps, *args: Any) -> None:
    """Timeline bookkeeping of retries never changes the outcome of the run."""
    try:
        if deps.store.get_group(request.state.group_id) is not None:
            record(request, deps, *args)
    except Exception:  # noqa: BLE001 - the store may be what is failing; a later retry writes what is missing
        _logger.warning("could not record a failed attempt", extra={"execution": request.execution}, exc_info=True)


def _attempt_entry(request: TaskRequest, attempt: int, error: str, deps: actions.ActionDeps):
    state = request.state
    retried = attempt < TASK_RETRIES
    then = f"retry {attempt + 1} of {TASK_RETRIES} follows" if retried else "no retries left"
    return timeline.entry(
        state.group_id,
        deps.clock.now(),
        timeline.ESCALATION_ATTEMPT_FAILED,
        f"{_what(state)} failed at step {state.step + 1} (attempt {attempt + 1}): {error[:300]}; {then}.",
        execution=request.execution,
        step=state.step,
        attempt=attempt,
        error=error[:300],
    )


def _record_attempt_failure(request: TaskRequest, deps: actions.ActionDeps, error: str) -> None:
    deps.store.add_timeline(_attempt_entry(request, request.attempt, error, deps))


def _record_unrecorded_attempts(request: TaskRequest, deps: actions.ActionDeps) -> None:
    """On a retry: the earlier attempts of this step whose failure could not be written at the time."""
    state = request.state
    recorded = {
        e.details.get("attempt")
        for e in deps.store.list_timeline(state.group_id)
        if e.type == timeline.ESCALATION_ATTEMPT_FAILED
        and e.details.get("execution") == request.execution
        and e.details.get("step") == state.step
    }
    for attempt in range(request.attempt):
        if attempt not in recorded:
            error = "the error could not be recorded at the time (the store was unavailable)"
            deps.store.add_timeline(_attempt_entry(request, attempt, error, deps))


def _advance(request: TaskRequest, engine: Engine) -> Advanced:
    state = request.state
    deps = engine.pager.deps
    if state.failure is not None:
        record_failure(
            state.group_id,
            state.step,
            state.failure.Error,
            state.failure.Cause,
            store=deps.store,
            clock=deps.clock,
            what=_what(state),
        )
        return Advanced(_next(state, done=True, wait_seconds=0), "EscalationFailures")
    if state.kind == ESCALATION:
        outcome = run_escalation(
            state.group_id,
            state.step,
            request.execution,
            pager=engine.pager,
            repetition=state.repetition,
            trigger_webhook=engine.trigger_webhook,
            ical=engine.ical,
        )
        return Advanced(
            _next(
                state,
                step=outcome.next_step,
                repetition=outcome.repetition,
                done=outcome.done,
                wait_seconds=outcome.wait_seconds,
                last_wait=outcome.last_wait,
            ),
            "EscalationsPaused" if outcome.paused else "EscalationSteps",
        )
    if state.kind == PERSONAL:
        # Personal rules are the user's current ones (not a snapshot): a later run may meet a wait added since,
        # so a personal execution never counts on its next run being the last.
        ran = run_personal(state.group_id, state.step, state.data, engine.pager)
        return Advanced(
            _next(state, step=ran.next_step, done=ran.done, wait_seconds=ran.wait_seconds, last_wait=False),
            "PersonalNotificationRuns",
        )
    if state.kind == actions.ACK_REMINDER_TIMER:
        wait = wait_before_firing(state.step, state.data, deps)
        if wait > 0:  # step 1 always fires: the run after this wait is the last
            return Advanced(
                _next(state, step=state.step + 1, done=False, wait_seconds=wait, last_wait=True), "TimersWaiting"
            )
        send_ack_reminder(state.group_id, state.data, engine.pager)
        return Advanced(_next(state, step=state.step + 1, done=True, wait_seconds=0), "AckRemindersFired")
    done, wait = run_timer(state.kind, state.group_id, state.step, state.data, deps)
    return Advanced(  # a timer waits only at step 0; the run after that wait fires
        _next(state, step=state.step + 1, done=done, wait_seconds=wait, last_wait=not done),
        "TimersFired" if done else "TimersWaiting",
    )


def _next(state: TaskState, **changes: Any) -> dict[str, Any]:
    changes.setdefault("last_wait", False)  # never carried over from the state this run was given
    return state.model_copy(update=changes).model_dump(exclude={"failure"})


def _what(state: TaskState) -> str:
    if state.kind == ESCALATION:
        return "Escalation"
    if state.kind == PERSONAL:
        return f"Notifying user {state.data.get('user_id', '?')}"
    return f"Timer {state.kind}"
