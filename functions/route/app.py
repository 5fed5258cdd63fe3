"""SQS batch from the FIFO ingest queue → group, route and escalate each alert.

A failed alert also returns the later alerts of its integration in this batch (they must not overtake it);
other integrations go on (SqsFifoPartialProcessor with skip_group_on_error). The batch's alerts are read
with one request before the records are processed.
"""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from oncall import wiring
from oncall.dispatch.pipeline import process_alert, read_alerts
from oncall.models import Alert, IngestMessage

logger = Logger()
metrics = Metrics()
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
_batch: dict[str, Alert] = {}  # this invocation's alerts, read up front


def handle_record(record: SQSRecord) -> None:
    message = IngestMessage.model_validate_json(record.body)
    outcome = process_alert(message, deps=wiring.action_deps(), alert=_batch.pop(message.alert_id, None))
    if outcome.group_id:
        logger.set_correlation_id(outcome.group_id)
    logger.info(
        "alert processed",
        extra={
            "alert_id": outcome.alert_id,
            "group_created": outcome.group_created,
            "resolved": outcome.resolved,
            "skipped": outcome.skipped_reason,
        },
    )
    metrics.add_metric(name="AlertsRouted", unit=MetricUnit.Count, value=1)
    if outcome.group_created:
        metrics.add_metric(name="AlertGroupsCreated", unit=MetricUnit.Count, value=1)
    if outcome.escalation_started:
        metrics.add_metric(name="EscalationsStarted", unit=MetricUnit.Count, value=1)
    if outcome.resolved:
        metrics.add_metric(name="AlertGroupsResolvedBySource", unit=MetricUnit.Count, value=1)
    if outcome.auto_resolve_scheduled:
        metrics.add_metric(name="AutoResolveTimersStarted", unit=MetricUnit.Count, value=1)


def _messages(event: dict) -> list[IngestMessage]:
    messages = []
    for record in event.get("Records", []):
        try:
            messages.append(IngestMessage.model_validate_json(record["body"]))
        except (ValidationError, KeyError):
            continue  # handle_record fails this record on its own
    return messages


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    _batch.clear()
    _batch.update(read_alerts(_messages(event), wiring.store()))
    try:
        return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
    finally:
        _batch.clear()
