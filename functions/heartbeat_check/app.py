"""EventBridge Scheduler, rate(1 minute): sweep the sparse heartbeat index for overdue heartbeats."""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from oncall import wiring
from oncall.heartbeat import overdue_heartbeats

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    overdue = overdue_heartbeats(store=wiring.store(), clock=wiring.now_clock())
    for heartbeat in overdue:
        logger.warning(
            "heartbeat overdue", extra={"integration_id": heartbeat.integration_id, "due_at": str(heartbeat.due_at)}
        )
    metrics.add_metric(name="HeartbeatsOverdue", unit=MetricUnit.Count, value=len(overdue))
    return {"overdue": [h.integration_id for h in overdue]}
