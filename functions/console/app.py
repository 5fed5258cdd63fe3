"""The web console (`/` and `/console/…`): server-rendered pages for people, signed-in with an API token or
authorized by a notification's signed action link. Pages and rules live in layers/common/oncall/console/."""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from oncall.console.app import handle

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return handle(event)
