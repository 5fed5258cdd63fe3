"""The management API, /api/v1/… (OnCall public API v1 shapes). Auth: `Authorization: <token>`.
Endpoints live in layers/common/oncall/api/, one router per resource."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from oncall.api.app import build_app
from oncall.api.common import metrics

logger = Logger()
# Resource routers are included by the first request that needs each (oncall/api/app.py, decision 79).
app = build_app(logger, on_demand=True)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
