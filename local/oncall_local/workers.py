"""What AWS runs in the background that moto does not: the SQS → Lambda event source mapping (with
partial batch failures), the EventBridge schedule, and a console view of the local outbox."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from oncall_local.functions import FunctionHost
from oncall_local.topology import QueueMapping, Schedule


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


class QueuePoller:
    """Long-polls one queue and delivers batches like Lambda's event source mapping: messages the function
    reports in batchItemFailures (or all, if it raises) stay in the queue and come back after the
    visibility timeout; the rest are deleted."""

    def __init__(
        self,
        mapping: QueueMapping,
        functions: FunctionHost,
        *,
        time_scale: float = 1.0,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._mapping = mapping
        self._functions = functions
        self._retry_after = max(1, round(mapping.visibility_timeout * time_scale))
        self._on_error = on_error
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"poller-{mapping.function}", daemon=True)
        self._sqs = boto3.client("sqs")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception as error:  # noqa: BLE001 - keep polling; report what went wrong
                if self._on_error:
                    self._on_error(error)
                self._stop.wait(0.5)

    def poll_once(self, wait_seconds: int = 0) -> int:
        response = self._sqs.receive_message(
            QueueUrl=self._mapping.queue_url,
            MaxNumberOfMessages=self._mapping.batch_size,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        try:
            result = self._functions.invoke(self._mapping.function, sqs_event(messages, self._mapping.queue_arn))
        except Exception:
            self._retry_later(messages)
            raise
        failed = set()
        if self._mapping.report_batch_item_failures and isinstance(result, dict):
            failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._mapping.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        self._retry_later([m for m in messages if m["MessageId"] in failed])
        return len(messages)

    def _retry_later(self, messages: list[dict[str, Any]]) -> None:
        """Failed messages come back after the (time-scaled) visibility timeout."""
        for message in messages:
            self._sqs.change_message_visibility(
                QueueUrl=self._mapping.queue_url,
                ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=self._retry_after,
            )


def scheduler_event(schedule: Schedule) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": "123456789012",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": "us-east-1",
        "resources": [f"arn:aws:scheduler:::schedule/default/{schedule.function}"],
        "detail": "{}",
    }


class ScheduleTimer:
    """Invokes a function on its (time-scaled) rate, like EventBridge Scheduler."""

    def __init__(
        self,
        schedule: Schedule,
        functions: FunctionHost,
        *,
        time_scale: float = 1.0,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._schedule = schedule
        self._functions = functions
        self._period = schedule.period_seconds * time_scale
        self._on_error = on_error
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"timer-{schedule.function}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            try:
                self._functions.invoke(self._schedule.function, scheduler_event(self._schedule))
            except Exception as error:  # noqa: BLE001 - the schedule keeps running; report the failure
                if self._on_error:
                    self._on_error(error)


class OutboxWatcher:
    """Prints each new line of the outbox as it is appended."""

    def __init__(self, path: Path, show: Callable[[dict[str, Any]], None]) -> None:
        self._path = path
        self._show = show
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        offset = self._path.stat().st_size if self._path.exists() else 0
        while not self._stop.wait(0.1):
            if not self._path.exists():
                continue
            with self._path.open("r", encoding="utf-8") as outbox:
                outbox.seek(offset)
                for line in outbox:
                    if line.endswith("\n"):
                        offset += len(line.encode("utf-8"))
                        self._show(json.loads(line))
