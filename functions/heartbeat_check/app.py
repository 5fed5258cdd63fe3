"""EventBridge Scheduler, rate(1 minute): the sweep. Ends maintenance whose time is up and starts scheduled
windows, then sends "missing" and "restored" heartbeat alerts (sparse indexes, conditional transitions)."""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from oncall import wiring
from oncall.monitoring import sweep

logger = Logger()
metrics = Metrics()


def _failed(kind: str, integration_id: str, error: Exception) -> None:
    logger.exception(
        "sweep item failed; the next sweep retries it", extra={"kind": kind, "integration_id": integration_id}
    )


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    report = sweep.run(deps=wiring.action_deps(), queue=wiring.alert_queue(), on_error=_failed)
    counts = {
        "HeartbeatsMissing": len(report.heartbeats.missing),
        "HeartbeatsRestored": len(report.heartbeats.restored),
        "MaintenanceStarted": len(report.maintenance.started),
        "MaintenanceEnded": len(report.maintenance.ended),
        "MaintenanceWindowsSkipped": len(report.maintenance.skipped),
        "SweepItemsFailed": len(report.heartbeats.failed) + len(report.maintenance.failed),
    }
    for name, value in counts.items():
        if value:  # a zero sent every minute would make each name a billed custom metric in an idle deployment
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    if any(counts.values()):
        logger.info("sweep", extra=report.as_dict())
    return report.as_dict()
