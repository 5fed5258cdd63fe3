"""SQS batch from the FIFO ingest queue → group, route and escalate each alert.

A failed alert also returns the later alerts of its integration in this batch (they must not overtake it);
other integrations go on (SqsFifoPartialProcessor with skip_group_on_error). The batch's alerts are read
with one request before the records are processed.

At INFO a batch writes one log line and one EMF line (its totals); each alert's line is at DEBUG. Logs are
billed per byte, and a storm is many batches of alerts that all say "joined the same group"
(docs/decisions/0069-route-logs-one-line-per-batch.md).
"""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from oncall import wiring
from oncall.dispatch.pipeline import ProcessOutcome, process_alert, read_alerts
from oncall.models import Alert, IngestMessage
from oncall.platform.logs import lean_context

logger = Logger()
metrics = Metrics()
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
_batch: dict[str, Alert] = {}  # this invocation's alerts, read up front
_outcomes: list[ProcessOutcome] = []  # this invocation's processed alerts, for its summary line and metrics

# Metric name per outcome flag, published once per batch with the batch's total (one EMF line either way).
_COUNTED = {
    "group_created": "AlertGroupsCreated",
    "escalation_started": "EscalationsStarted",
    "resolved": "AlertGroupsResolvedBySource",
    "auto_resolve_scheduled": "AutoResolveTimersStarted",
}


def handle_record(record: SQSRecord) -> None:
    message = IngestMessage.model_validate_json(record.body)
    outcome = process_alert(message, deps=wiring.action_deps(), alert=_batch.pop(message.alert_id, None))
    _outcomes.append(outcome)
    # Per-alert detail at DEBUG (the LogLevel parameter): at INFO a batch writes one summary line.
    logger.set_correlation_id(outcome.group_id)
    logger.debug(
        "alert processed",
        extra={
            "alert_id": outcome.alert_id,
            "group_created": outcome.group_created,
            "resolved": outcome.resolved,
            "skipped": outcome.skipped_reason,
        },
    )


def _messages(event: dict) -> list[IngestMessage]:
    messages = []
    for record in event.get("Records", []):
        try:
            messages.append(IngestMessage.model_validate_json(record["body"]))
        except (ValidationError, KeyError):
            continue  # handle_record fails this record on its own
    return messages


def _summarize(received: int, failed: int) -> None:
    """One INFO line and one set of metrics for the batch. The correlation id is the group when the batch
    went to one group (a storm); otherwise the line names the groups."""
    groups = list(dict.fromkeys(o.group_id for o in _outcomes if o.group_id))
    logger.set_correlation_id(groups[0] if len(groups) == 1 else None)
    logger.info(
        "alert batch processed",
        extra={
            "alerts": received,
            "processed": len(_outcomes),
            "failed": failed,
            "groups": groups if len(groups) > 1 else None,
            "new_groups": [o.group_id for o in _outcomes if o.group_created] or None,
            "resolved": sum(o.resolved for o in _outcomes) or None,
            "skipped": sum(o.skipped_reason is not None for o in _outcomes) or None,
            # what failed records raised, by type only (messages may quote payloads); SQS retries them
            "errors": sorted({type(e).__name__ for _, e, _ in processor.exceptions if e is not None}) or None,
        },
    )
    if _outcomes:
        metrics.add_metric(name="AlertsRouted", unit=MetricUnit.Count, value=len(_outcomes))
    for flag, name in _COUNTED.items():
        count = sum(bool(getattr(o, flag)) for o in _outcomes)
        if count:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=count)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    lean_context(logger)
    _batch.clear()
    _outcomes.clear()
    _batch.update(read_alerts(_messages(event), wiring.store()))
    try:
        return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
    finally:
        # Every record either has an outcome or is reported failed (or skipped behind a failure of its group).
        received = len(event.get("Records", []))
        _summarize(received, received - len(_outcomes))
        _batch.clear()
        _outcomes.clear()
