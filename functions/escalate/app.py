"""The Step Functions task: run the escalation of one alert group from step N until its next wait.

Input  {"group_id", "step", "execution"}                 (+ "failure" when called by the Catch)
Output {"group_id", "step", "done", "wait_seconds"}
"""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from oncall import wiring
from oncall.escalation import record_failure, run_escalation
from oncall.settings import get_settings

logger = Logger()
metrics = Metrics()


class Failure(BaseModel):
    Error: str = "Unknown"
    Cause: str = ""


class EscalateInput(BaseModel):
    group_id: str
    step: int = 0
    execution: str
    failure: Failure | None = None


class EscalateOutput(BaseModel):
    group_id: str
    step: int
    done: bool
    wait_seconds: int


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    request = EscalateInput.model_validate(event)
    logger.set_correlation_id(request.group_id)
    if request.failure is not None:
        logger.error("escalation failed", extra={"step": request.step, "error": request.failure.Error})
        record_failure(
            request.group_id,
            request.step,
            request.failure.Error,
            request.failure.Cause,
            store=wiring.store(),
            clock=wiring.now_clock(),
        )
        metrics.add_metric(name="EscalationFailures", unit=MetricUnit.Count, value=1)
        return EscalateOutput(group_id=request.group_id, step=request.step, done=True, wait_seconds=0).model_dump()
    outcome = run_escalation(
        request.group_id,
        request.step,
        request.execution,
        store=wiring.store(),
        notifier=wiring.notifier(),
        clock=wiring.now_clock(),
        base_url=get_settings().public_base_url,
    )
    metrics.add_metric(name="EscalationSteps", unit=MetricUnit.Count, value=1)
    return EscalateOutput(
        group_id=request.group_id, step=outcome.next_step, done=outcome.done, wait_seconds=outcome.wait_seconds
    ).model_dump()
