"""Running escalations: one Step Functions Standard execution per alert group, named after it, so starting
twice is harmless (a second StartExecution with the same name and input returns the same execution)."""

from __future__ import annotations

import json
from typing import Any, Protocol

from oncall.platform.aws import AWS_ERRORS, client, error_code

ESCALATION = "escalation"


class Escalations(Protocol):
    def start(
        self,
        execution_name: str,
        group_id: str,
        kind: str = ESCALATION,
        data: dict | None = None,
        *,
        step: int = 0,
        repetition: int = 0,
    ) -> None:
        """Start an execution: the escalation of a group, or a timer (`kind` names what fires, `data` its
        arguments). `step`/`repetition`: where it begins (a paused escalation resumes mid-chain). Starting a
        name twice with the same input is harmless."""
        ...

    def stop(self, execution_name: str) -> None: ...


def execution_input(
    group_id: str, kind: str = ESCALATION, data: dict | None = None, *, step: int = 0, repetition: int = 0
) -> str:
    state = {
        "group_id": group_id,
        "kind": kind,
        "step": step,
        "repetition": repetition,
        "done": False,
        "wait_seconds": 0,
        "data": data or {},
    }
    return json.dumps(state, separators=(",", ":"))


class StepFunctionsEscalations:
    def __init__(self, state_machine_arn: str) -> None:
        self._arn = state_machine_arn

    @property
    def _sfn(self) -> Any:
        return client("stepfunctions")

    def execution_arn(self, execution_name: str) -> str:
        return f"{self._arn.replace(':stateMachine:', ':execution:', 1)}:{execution_name}"

    def start(
        self,
        execution_name: str,
        group_id: str,
        kind: str = ESCALATION,
        data: dict | None = None,
        *,
        step: int = 0,
        repetition: int = 0,
    ) -> None:
        try:
            self._sfn.start_execution(
                stateMachineArn=self._arn,
                name=execution_name,
                input=execution_input(group_id, kind, data, step=step, repetition=repetition),
            )
        except AWS_ERRORS as error:
            # Already started (a redelivered alert) or already finished: either way it is not ours to repeat.
            # Any other refusal, and AWS being unreachable (no such code then), goes to the caller.
            if error_code(error) != "ExecutionAlreadyExists":
                raise

    def stop(self, execution_name: str) -> None:
        try:
            self._sfn.stop_execution(executionArn=self.execution_arn(execution_name))
        except AWS_ERRORS as error:
            if error_code(error) != "ExecutionDoesNotExist":
                raise
