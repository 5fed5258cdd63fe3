"""The template's promises that the rest of the system relies on."""

import json
import re

from oncall_cli.local.template import REPO_ROOT, load_template, resources_of_type

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
FUNCTIONS = resources_of_type(TEMPLATE, "AWS::Serverless::Function")


def test_five_functions_on_python313_arm64_with_the_layer():
    assert set(FUNCTIONS) == {
        "IngestFunction",
        "RouteFunction",
        "EscalateFunction",
        "HeartbeatCheckFunction",
        "ApiFunction",
    }
    globals_ = TEMPLATE["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13" and globals_["Architectures"] == ["arm64"]
    assert globals_["Layers"] == [{"Ref": "CommonLayer"}]
    for resource in FUNCTIONS.values():
        assert (REPO_ROOT / resource["Properties"]["CodeUri"] / "app.py").exists()


def test_ingest_queue_is_fifo_with_dlq_and_long_enough_visibility():
    queue = RESOURCES["IngestQueue"]["Properties"]
    route_timeout = FUNCTIONS["RouteFunction"]["Properties"]["Timeout"]
    assert queue["FifoQueue"] is True
    assert queue["VisibilityTimeout"] >= 6 * route_timeout
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["IngestDLQ", "Arn"]}
    event = FUNCTIONS["RouteFunction"]["Properties"]["Events"]["IngestQueue"]["Properties"]
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_table_has_sparse_indexes_and_ttl():
    table = RESOURCES["Table"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"gsi1", "heartbeats", "maintenance"}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_sweep_runs_every_minute_with_a_dlq():
    sweep = FUNCTIONS["HeartbeatCheckFunction"]["Properties"]["Events"]["Sweep"]
    assert sweep["Type"] == "ScheduleV2"
    assert sweep["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    assert "DeadLetterConfig" in sweep["Properties"]


def test_state_machine_placeholders_are_all_substituted():
    machine = RESOURCES["EscalationStateMachine"]["Properties"]
    definition = (REPO_ROOT / machine["DefinitionUri"]).read_text()
    placeholders = set(re.findall(r"\$\{(\w+)\}", definition))
    assert placeholders == set(machine["DefinitionSubstitutions"])
    assert machine["Type"] == "STANDARD"
    json.loads(definition)


def test_every_async_path_has_an_alarm():
    alarms = resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm")
    watched = {json.dumps(a["Properties"]["Dimensions"]) for a in alarms.values()}
    for target in ("IngestDLQ", "SweepDLQ", "EscalationStateMachine"):
        assert any(target in dims for dims in watched), target


def test_outputs_name_the_resources():
    assert {"BaseUrl", "AdminTokenSecretArn", "TableName", "IngestQueueUrl", "EscalationStateMachineArn"} <= set(
        TEMPLATE["Outputs"]
    )


def test_action_links_are_served_without_api_auth_and_signed_with_their_own_secret():
    events = FUNCTIONS["ApiFunction"]["Properties"]["Events"]
    assert {(e["Properties"]["Path"], e["Properties"]["Method"]) for e in events.values()} >= {
        ("/actions/{token}", "GET"),
        ("/actions/{token}", "POST"),
    }
    secret = RESOURCES["ActionLinkSecret"]["Properties"]["GenerateSecretString"]
    assert secret["PasswordLength"] >= 32
    for function in ("ApiFunction", "EscalateFunction"):
        props = FUNCTIONS[function]["Properties"]
        assert props["Environment"]["Variables"]["ACTION_LINK_SECRET_ARN"] == {"Ref": "ActionLinkSecret"}
        readable = [
            p["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"]
            for p in props["Policies"]
            if "AWSSecretsManagerGetSecretValuePolicy" in p
        ]
        assert {"Ref": "ActionLinkSecret"} in readable


def test_the_escalate_function_starts_executions_of_its_own_state_machine_without_a_cycle():
    machine = RESOURCES["EscalationStateMachine"]["Properties"]
    assert machine["Name"] == {"Fn::Sub": "${AWS::StackName}-escalation"}
    escalate = FUNCTIONS["EscalateFunction"]["Properties"]
    arn = escalate["Environment"]["Variables"]["ESCALATION_STATE_MACHINE_ARN"]["Fn::Sub"]
    assert arn.endswith(":stateMachine:${AWS::StackName}-escalation")
    assert "EscalationStateMachine" not in json.dumps(escalate)  # no Ref/GetAtt back to the machine
    policies = json.dumps(escalate["Policies"])
    assert "StepFunctionsExecutionPolicy" in policies and "states:StopExecution" in policies
