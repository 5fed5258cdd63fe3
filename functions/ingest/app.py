"""POST /integrations/v1/{type}/{token}/ — accept an alert; GET — how to connect; …/heartbeat/ — a ping."""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from oncall import sns, wiring
from oncall.errors import RateLimitedError
from oncall.heartbeat import record_ping
from oncall.ingest import IngestRequest, accept_alert, find_integration, parse_payload
from oncall.ingest_guide import how_to_connect
from oncall.integration_types import get_type
from oncall.rate_limit import check_ingest_rate
from oncall.settings import get_settings
from oncall.web import HttpResolver, base_url, header, json_response, register_error_map, request_body

logger = Logger()
metrics = Metrics()
app = HttpResolver()
register_error_map(app, logger)

_INTEGRATION = "/integrations/v1/<integration_type>/<token>"


# Registered before the generic route, so it wins for amazon_sns URLs.
@app.post(f"/integrations/v1/{sns.URL_SLUG}/<token>")
def receive_sns(token: str) -> Response:
    event = app.current_event.raw_event
    integration = find_integration(sns.URL_SLUG, token, wiring.config())
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
    try:
        check_ingest_rate(integration, store=wiring.store(), clock=wiring.now_clock())
    except RateLimitedError:
        metrics.add_metric(name="AlertsRateLimited", unit=MetricUnit.Count, value=1)
        raise
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


@app.route(f"{_INTEGRATION}/heartbeat", method=["GET", "POST", "HEAD"])
def heartbeat_ping(integration_type: str, token: str) -> Response:
    integration = find_integration(integration_type, token, wiring.config())
    record_ping(integration, store=wiring.store(), clock=wiring.now_clock())
    metrics.add_metric(name="HeartbeatPings", unit=MetricUnit.Count, value=1)
    return json_response(200, "Ok.")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
