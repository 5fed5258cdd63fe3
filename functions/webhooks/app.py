"""SQS batch from the events queue → outgoing webhooks.

An event message fans out into one delivery message per webhook it triggers; a delivery message is one
attempt (claimed once, retried by re-enqueueing with an exponential delay). Only unexpected failures (AWS
errors) fail a record, and only that record comes back (BatchProcessor partial failures).
"""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from oncall import wiring
from oncall.webhooks.delivery import Outcome, deliver, fan_out, parse_message

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)

_METRICS = {
    Outcome.DELIVERED: "WebhooksDelivered",
    Outcome.RETRYING: "WebhookRetries",
    Outcome.FAILED: "WebhooksFailed",
}


def handle_record(record: SQSRecord) -> None:
    message = parse_message(record.body)
    event = message.event
    if event.group_id:
        logger.set_correlation_id(event.group_id)
    deps = wiring.delivery_deps()
    if message.kind == "event":
        matched = fan_out(event, deps)
        logger.info("event received", extra={"event_id": event.id, "type": event.type, "webhooks": matched})
        return
    report = deliver(message, deps)
    response = report.response
    logger.info(
        "webhook attempt",
        extra={
            "event_id": event.id,
            "webhook_id": report.webhook_id,
            "attempt": report.attempt,
            "outcome": report.outcome,
            "status_code": response.status_code if response else None,
            "error": response.error if response else None,
        },
    )
    if report.outcome in _METRICS:
        metrics.add_metric(name=_METRICS[report.outcome], unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
