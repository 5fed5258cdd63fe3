"""POST /integrations/v1/{type}/{token}/ — accept an alert; GET — how to connect; …/heartbeat/ — a ping
(…/heartbeat/start: a run started; …/heartbeat/fail or …/heartbeat/<non-zero exit status>: a run failed).

Cold start is this function's hot path: heartbeat and Amazon SNS modules are imported by their routes, and
routing uses the small `oncall.platform.http.Router` instead of Powertools' event handler."""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from oncall import wiring
from oncall.access.auth_failures import source_address
from oncall.access.rate_limit import check_ingest_rate
from oncall.intake.accept import IngestRequest, accept_alert, find_integration, parse_payload
from oncall.intake.types.base import SNS_URL_SLUG
from oncall.intake.types.catalog import get_type
from oncall.models import HeartbeatSignal
from oncall.platform.errors import IntegrationTokenError, RateLimitedError
from oncall.platform.http import HttpResponse, Router, header, json_result, reached_base_url, request_body, request_id
from oncall.platform.logs import lean_context
from oncall.platform.settings import get_settings
from oncall.webhooks.loops import HOP_HEADER, LoopDetectedError, refuse_own_hop

logger = Logger()
metrics = Metrics()
app = Router(logger)

_INTEGRATION = "/integrations/v1/<integration_type>/<token>"
_OK = json_result(200, "Ok.")


def _check_rate(integration) -> None:
    """The integration's optional ingest rate limit (429 with Retry-After when exceeded)."""
    try:
        check_ingest_rate(integration, store=wiring.store(), clock=wiring.now_clock())
    except RateLimitedError:
        metrics.add_metric(name="AlertsRateLimited", unit=MetricUnit.Count, value=1)
        raise


# Registered before the generic route, so it wins for amazon_sns URLs.
@app.post(f"/integrations/v1/{SNS_URL_SLUG}/<token>")
def receive_sns(event: dict, token: str) -> HttpResponse:
    from oncall.intake import sns  # on use: only Amazon SNS deliveries (see the module docstring)

    _refuse_loops(event)
    integration = _find(event, SNS_URL_SLUG, token)
    _check_rate(integration)
    delivery = sns.SnsDelivery(
        body=request_body(event),
        message_type=header(event, "x-amz-sns-message-type"),
        raw_delivery=header(event, "x-amz-sns-rawdelivery").lower() == "true",
        request_id=request_id(event),
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
    return _OK


def _find(event: dict, integration_type: str, token: str):
    """The integration of this URL. Unknown tokens are answered from the config cache's negative entries, and
    failures are counted per source address (429 past the limit; auth_failures.py)."""
    guard, clock = wiring.auth_failures(), wiring.now_clock()
    address = source_address(event)
    guard.refuse_if_blocked(address, clock)
    try:
        return find_integration(integration_type, token, wiring.config())
    except IntegrationTokenError:
        guard.record_failure(address, store=wiring.store(), clock=clock)
        raise


def _refuse_loops(event: dict) -> None:
    """An alert sent by one of our own outgoing webhooks is refused (400): no webhook loops."""
    hop = header(event, HOP_HEADER.lower())
    if hop:
        try:
            refuse_own_hop(hop, get_settings().table_name)
        except LoopDetectedError:
            metrics.add_metric(name="WebhookLoopsRefused", unit=MetricUnit.Count, value=1)
            raise


@app.post(_INTEGRATION)
def receive_alert(event: dict, integration_type: str, token: str) -> HttpResponse:
    _refuse_loops(event)
    request = IngestRequest(
        url_slug=integration_type,
        token=token,
        body=request_body(event),
        content_type=header(event, "content-type"),
        request_id=request_id(event),
    )
    integration = _find(event, request.url_slug, request.token)
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
    # DEBUG (decision 81): one line per alert is a third of what a million alerts cost in logs. The alert is
    # stored, AlertsAccepted counts it, and route's INFO line per batch names the groups it went to.
    logger.debug("alert accepted", extra={"alert_id": alert.id, "integration_id": integration.id})
    metrics.add_metric(name="AlertsAccepted", unit=MetricUnit.Count, value=1)
    return _OK


@app.get(_INTEGRATION)
def connect_instructions(event: dict, integration_type: str, token: str) -> HttpResponse:
    from oncall.intake.guide import how_to_connect  # on use: a person reading instructions, not a sender

    integration = _find(event, integration_type, token)
    url = f"{reached_base_url(event, get_settings().public_base_url)}/integrations/v1/{integration_type}/{token}/"
    text = how_to_connect(get_type(integration.type), url, integration.name)
    return HttpResponse(200, text, content_type="text/plain")


_HEARTBEAT_METHODS = ("GET", "POST", "HEAD")


def _heartbeat_signal(event: dict, integration_type: str, token: str, kind) -> HttpResponse:
    from oncall.monitoring.heartbeat import receive_signal  # on use: heartbeats load actions and escalations

    integration = _find(event, integration_type, token)
    result = receive_signal(
        integration,
        kind,
        deps=wiring.action_deps(),
        queue=wiring.alert_queue(),
        method=(event.get("requestContext") or {}).get("http", {}).get("method", ""),
    )
    signal_metrics = {
        HeartbeatSignal.PING: "HeartbeatPings",
        HeartbeatSignal.START: "HeartbeatStarts",
        HeartbeatSignal.FAIL: "HeartbeatFailures",
    }
    metrics.add_metric(name=signal_metrics[kind], unit=MetricUnit.Count, value=1)
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
    return _OK


@app.route(f"{_INTEGRATION}/heartbeat", methods=_HEARTBEAT_METHODS)
def heartbeat_ping(event: dict, integration_type: str, token: str) -> HttpResponse:
    return _heartbeat_signal(event, integration_type, token, HeartbeatSignal.PING)


@app.route(f"{_INTEGRATION}/heartbeat/<signal>", methods=_HEARTBEAT_METHODS)
def heartbeat_run_signal(event: dict, integration_type: str, token: str, signal: str) -> HttpResponse:
    from oncall.monitoring.heartbeat import signal_from_path  # on use, as in _heartbeat_signal

    kind = signal_from_path(signal)
    if kind is None:
        detail = "Not found. Heartbeat signals: …/heartbeat/, …/start, …/fail, …/<exit status 0-255>."
        return json_result(404, {"detail": detail})
    return _heartbeat_signal(event, integration_type, token, kind)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    lean_context(logger)
    return app.resolve(event)
