"""POST /integrations/v1/{type}/{token}/ — accept an alert; GET — how to connect; …/heartbeat/ — a ping
(…/heartbeat/start: a run started; …/heartbeat/fail or …/heartbeat/<non-zero exit status>: a run failed)."""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from oncall import sns, wiring
from oncall.errors import RateLimitedError
from oncall.heartbeat import receive_signal, signal_from_path
from oncall.ingest import IngestRequest, accept_alert, find_integration, parse_payload
from oncall.ingest_guide import how_to_connect
from oncall.integration_types import get_type
from oncall.models import HeartbeatSignal
from oncall.rate_limit import check_ingest_rate
from oncall.settings import get_settings
from oncall.web import HttpResolver, base_url, header, json_response, register_error_map, request_body

logger = Logger()
metrics = Metrics()
app = HttpResolver()
register_error_map(app, logger)

_INTEGRATION = "/integrations/v1/<integration_type>/<token>"


def _check_rate(integration) -> None:
    """The integration's optional ingest rate limit (429 with Retry-After when exceeded)."""
    try:
        check_ingest_rate(integration, store=wiring.store(), clock=wiring.now_clock())
    except RateLimitedError:
        metrics.add_metric(name="AlertsRateLimited", unit=MetricUnit.Count, value=1)
        raise


# Registered before the generic route, so it wins for amazon_sns URLs.
@app.post(f"/integrations/v1/{sns.URL_SLUG}/<token>")
def receive_sns(token: str) -> Response:
    event = app.current_event.raw_event
    integration = find_integration(sns.URL_SLUG, token, wiring.config())
    _check_rate(integration)
    delivery = sns.SnsDelivery(
        body=request_body(event),
        message_type=header(event, "x-amz-sns-message-type"),
        raw_delivery=header(event, "x-amz-sns-rawdelivery").lower() == "true",
        request_id=app.current_event.request_context.request_id,
    )
    outcome = sns.receive_delivery(
        integration,
        delivery,
        store=wiring.store(),
        queue=wiring.alert_queue(),
        clock=wiring.now_clock(),
        max_bytes=get_settings().max_body_bytes,
    )
    logger.info(
        "sns delivery accepted",
        extra={
            "integration_id": integration.id,
            "sns_type": outcome.message_type,
            "topic_arn": outcome.topic_arn,
            "alert_id": outcome.alert_id,
        },
    )
    metrics.add_metric(name=f"Sns{outcome.message_type}s", unit=MetricUnit.Count, value=1)
    if outcome.alert_id:
        metrics.add_metric(name="AlertsAccepted", unit=MetricUnit.Count, value=1)
    return json_response(200, "Ok.")


@app.post(_INTEGRATION)
def receive_alert(integration_type: str, token: str) -> Response:
    event = app.current_event.raw_event
    request = IngestRequest(
        url_slug=integration_type,
        token=token,
        body=request_body(event),
        content_type=header(event, "content-type"),
        request_id=app.current_event.request_context.request_id,
    )
    integration = find_integration(request.url_slug, request.token, wiring.config())
    payload = parse_payload(request.body, request.content_type, get_settings().max_body_bytes)
    _check_rate(integration)
    alert = accept_alert(
        integration,
        payload,
        request.request_id,
        store=wiring.store(),
        queue=wiring.alert_queue(),
        clock=wiring.now_clock(),
    )
    logger.info("alert accepted", extra={"alert_id": alert.id, "integration_id": integration.id})
    metrics.add_metric(name="AlertsAccepted", unit=MetricUnit.Count, value=1)
    return json_response(200, "Ok.")


@app.get(_INTEGRATION)
def connect_instructions(integration_type: str, token: str) -> Response:
    integration = find_integration(integration_type, token, wiring.config())
    url = (
        f"{base_url(app.current_event.raw_event, get_settings().public_base_url)}"
        f"/integrations/v1/{integration_type}/{token}/"
    )
    text = how_to_connect(get_type(integration.type), url, integration.name)
    return Response(status_code=200, content_type=content_types.TEXT_PLAIN, body=text)


_SIGNAL_METRICS = {
    HeartbeatSignal.PING: "HeartbeatPings",
    HeartbeatSignal.START: "HeartbeatStarts",
    HeartbeatSignal.FAIL: "HeartbeatFailures",
}
_HEARTBEAT_METHODS = ["GET", "POST", "HEAD"]


def _heartbeat_signal(integration_type: str, token: str, kind: HeartbeatSignal) -> Response:
    integration = find_integration(integration_type, token, wiring.config())
    result = receive_signal(
        integration,
        kind,
        deps=wiring.action_deps(),
        queue=wiring.alert_queue(),
        method=app.current_event.http_method,
    )
    metrics.add_metric(name=_SIGNAL_METRICS[kind], unit=MetricUnit.Count, value=1)
    if result.sent == "restored":
        metrics.add_metric(name="HeartbeatsRestored", unit=MetricUnit.Count, value=1)
    elif result.sent == "missing":
        metrics.add_metric(name="HeartbeatsMissing", unit=MetricUnit.Count, value=1)
    if result.error is not None:
        logger.error(
            "heartbeat transition failed; the sweep retries it",
            extra={"integration_id": integration.id},
            exc_info=result.error,
        )
    return json_response(200, "Ok.")


@app.route(f"{_INTEGRATION}/heartbeat", method=_HEARTBEAT_METHODS)
def heartbeat_ping(integration_type: str, token: str) -> Response:
    return _heartbeat_signal(integration_type, token, HeartbeatSignal.PING)


@app.route(f"{_INTEGRATION}/heartbeat/<signal>", method=_HEARTBEAT_METHODS)
def heartbeat_run_signal(integration_type: str, token: str, signal: str) -> Response:
    kind = signal_from_path(signal)
    if kind is None:
        detail = "Not found. Heartbeat signals: …/heartbeat/, …/start, …/fail, …/<exit status 0-255>."
        return json_response(404, {"detail": detail})
    return _heartbeat_signal(integration_type, token, kind)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
