"""CloudFormation custom resource `Custom::SecureParameter`: creates and deletes the deployment's SecureString
parameters (admin token, action-link key) with a random value. Runs only when the stack is deployed."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from oncall.platform import aws
from oncall.platform.secure_parameters import handle

logger = Logger()


def _failed(error: Exception) -> None:
    logger.exception("secure parameter request failed; CloudFormation is told so")


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    result = handle(event, aws.client("ssm"), on_error=_failed)
    logger.info("secure parameter", extra={k: result.get(k) for k in ("Status", "PhysicalResourceId")})
    return result
