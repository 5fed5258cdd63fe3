"""Guards for every patch in oncall_cli.local.moto_patches: if moto's internals move, these fail loudly."""

import json
import time

import boto3

from oncall_cli.local import moto_patches


def test_patched_names_still_exist_in_moto(aws):
    import inspect

    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    # the signatures we replace are still the ones moto calls
    assert list(inspect.signature(moto_patches._original_invoke).parameters) == [
        "self",
        "function_name",
        "qualifier",
        "body",
        "headers",
        "response_headers",
    ]
    assert LambdaSimpleBackend.invoke is moto_patches._hooked_invoke
    assert WaitFunction._wait_interval is moto_patches._scaled_wait
    assert isinstance(retrier_decl.time, moto_patches._ScaledTime)


def test_lambda_invoke_reaches_the_real_handler(aws):
    # given the hook is installed, when Lambda is invoked through the AWS API
    before = aws.functions.invocations["EscalateFunction"]
    state = {"group_id": "Inope", "kind": "escalation", "step": 0, "repetition": 0, "done": False, "wait_seconds": 0}
    state["data"] = {}
    response = boto3.client("lambda").invoke(
        FunctionName="EscalateFunction", Payload=json.dumps({"state": state, "execution": "Inope"})
    )
    # then our escalate handler answered (a missing group means "done")
    assert json.loads(response["Payload"].read()) == {**state, "done": True}
    assert aws.functions.invocations["EscalateFunction"] == before + 1


def test_handler_exceptions_become_lambda_function_errors(aws):
    response = boto3.client("lambda").invoke(FunctionName="EscalateFunction", Payload=json.dumps({"bad": 1}))
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "ValidationError"


def test_step_functions_waits_are_time_scaled(aws):
    sfn = boto3.client("stepfunctions")
    definition = {
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": 300, "Next": "D"}, "D": {"Type": "Succeed"}},
    }
    arn = sfn.create_state_machine(
        name="wait-probe", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/x"
    )["stateMachineArn"]
    started = time.monotonic()
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING":
        assert time.monotonic() - started < 5, "a 300 s wait at scale 0.001 must take well under 5 s"
        time.sleep(0.02)
    assert sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED"
