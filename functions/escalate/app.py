"""The Step Functions task: advance one execution of the escalation state machine.

An execution is either a group's escalation (run steps from `step` until the next wait) or a timer (wait
until `data.fire_at`, then fire). Input {"state": {...}, "execution": name}; output: the next state, whose
`done` and `wait_seconds` drive the Choice and Wait states. With `state.failure` set (from the Catch), the
failure is recorded on the group's timeline.
"""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from oncall import maintenance, wiring
from oncall.escalation import record_failure, run_escalation
from oncall.settings import get_settings
from oncall.timers import run_timer
from oncall.workflows import ESCALATION

logger = Logger()
metrics = Metrics()


class Failure(BaseModel):
    Error: str = "Unknown"
    Cause: str = ""


class TaskState(BaseModel):
    model_config = ConfigDict(extra="allow")

    group_id: str
    kind: str = ESCALATION
    step: int = 0
    done: bool = False
    wait_seconds: int = 0
    data: dict[str, Any] = Field(default_factory=dict)
    failure: Failure | None = None


class TaskRequest(BaseModel):
    state: TaskState
    execution: str


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    request = TaskRequest.model_validate(event)
    state = request.state
    logger.set_correlation_id(state.group_id)
    deps = wiring.action_deps()
    if state.failure is not None:
        logger.error("escalation failed", extra={"step": state.step, "error": state.failure.Error})
        record_failure(
            state.group_id, state.step, state.failure.Error, state.failure.Cause, store=deps.store, clock=deps.clock
        )
        metrics.add_metric(name="EscalationFailures", unit=MetricUnit.Count, value=1)
        return state.model_copy(update={"done": True, "wait_seconds": 0, "failure": None}).model_dump()
    if state.kind == ESCALATION:
        outcome = run_escalation(
            state.group_id,
            state.step,
            request.execution,
            deps=deps,
            # maintenance hook: groups created during debug maintenance escalate as a dry run
            notifier=maintenance.DryRunNotifier(wiring.notifier(), deps),
            base_url=get_settings().public_base_url,
        )
        metrics.add_metric(name="EscalationSteps", unit=MetricUnit.Count, value=1)
        next_state = {"step": outcome.next_step, "done": outcome.done, "wait_seconds": outcome.wait_seconds}
    else:
        done, wait = run_timer(state.kind, state.group_id, state.step, state.data, deps)
        metrics.add_metric(name="TimersFired" if done else "TimersWaiting", unit=MetricUnit.Count, value=1)
        next_state = {"step": state.step + 1, "done": done, "wait_seconds": wait}
    return state.model_copy(update=next_state).model_dump(exclude={"failure"})
