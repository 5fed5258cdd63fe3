"""Running escalations: one Step Functions Standard execution per alert group, named after it, so starting
twice is harmless (a second StartExecution with the same name and input returns the same execution)."""

from __future__ import annotations

import json
from typing import Any, Protocol

from botocore.exceptions import ClientError

from oncall.aws import client


class Escalations(Protocol):
    def start(self, execution_name: str, group_id: str) -> None: ...
    def stop(self, execution_name: str) -> None: ...


def execution_input(group_id: str) -> str:
    return json.dumps({"group_id": group_id, "step": 0}, separators=(",", ":"))


class StepFunctionsEscalations:
    def __init__(self, state_machine_arn: str) -> None:
        self._arn = state_machine_arn

    @property
    def _sfn(self) -> Any:
        return client("stepfunctions")

    def execution_arn(self, execution_name: str) -> str:
        return f"{self._arn.replace(':stateMachine:', ':execution:', 1)}:{execution_name}"

    def start(self, execution_name: str, group_id: str) -> None:
        try:
            self._sfn.start_execution(stateMachineArn=self._arn, name=execution_name, input=execution_input(group_id))
        except ClientError as error:
            # Already started (a redelivered alert) or already finished: either way it is not ours to repeat.
            if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise

    def stop(self, execution_name: str) -> None:
        try:
            self._sfn.stop_execution(executionArn=self.execution_arn(execution_name))
        except ClientError as error:
            if error.response["Error"]["Code"] != "ExecutionDoesNotExist":
                raise
