"""The ingest queue: FIFO, one message group per integration (order matters: a resolve must not overtake
its firing alert), deduplicated by the request id (our own retries of a send are dropped by SQS)."""

from __future__ import annotations

from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from oncall.models import IngestMessage
from oncall.platform.aws import client
from oncall.platform.errors import ServiceUnavailableError


class QueueUnavailableError(ServiceUnavailableError):
    """SQS did not take the message (throttled, unreachable): the caller answers "retry" (uncaught, the error
    map's 503 says so)."""

    def __init__(self, *, reason: str) -> None:
        super().__init__(f"The ingest queue did not take the message: {reason}")
        self.reason = reason


class AlertQueue(Protocol):
    def send(self, message: IngestMessage, deduplication_id: str) -> None: ...


class SqsAlertQueue:
    def __init__(self, queue_url: str) -> None:
        self._url = queue_url

    @property
    def _sqs(self) -> Any:
        return client("sqs")

    def send(self, message: IngestMessage, deduplication_id: str) -> None:
        try:
            self._sqs.send_message(
                QueueUrl=self._url,
                MessageBody=message.model_dump_json(),
                MessageGroupId=message.integration_id,
                MessageDeduplicationId=deduplication_id[:128],
            )
        except (ClientError, BotoCoreError) as error:
            raise QueueUnavailableError(reason=str(error)) from error
