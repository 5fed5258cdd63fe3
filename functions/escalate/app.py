"""The Step Functions task: advance one execution of the escalation state machine.

An execution is a group's escalation (run steps from `step` until the next wait), one user's personal
notification rules, an acknowledge reminder or another timer (wait until `data.fire_at`, then fire).
Input {"state": {...}, "execution": name, "attempt": n, "last": bool}; output: the next state, whose `done`,
`last_wait` and `wait_seconds` drive the Choice and Wait states (RunLastSteps, `last`, ends the execution).
With `state.failure` set (from the Catch), the failure is recorded on the group's timeline.
"""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from oncall import wiring
from oncall.escalation.task import TaskRequest, advance

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    request = TaskRequest.model_validate(event)
    logger.set_correlation_id(request.state.group_id)
    if request.state.failure is not None:
        logger.error(
            "escalation failed",
            extra={"kind": request.state.kind, "step": request.state.step, "error": request.state.failure.Error},
        )
    advanced = advance(request, wiring.engine())
    metrics.add_metric(name=advanced.metric, unit=MetricUnit.Count, value=1)
    return advanced.state
