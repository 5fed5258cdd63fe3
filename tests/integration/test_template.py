"""The template's promises that the rest of the system relies on."""

import json
import re

from oncall_local.template import REPO_ROOT, load_template, resources_of_type

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
FUNCTIONS = resources_of_type(TEMPLATE, "AWS::Serverless::Function")


def test_eight_functions_on_python313_arm64_with_the_layer():
    assert set(FUNCTIONS) == {
        "SecureParameterFunction",
        "ConsoleFunction",
        "IngestFunction",
        "RouteFunction",
        "EscalateFunction",
        "HeartbeatCheckFunction",
        "ApiFunction",
        "WebhooksFunction",
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


def _alarmed_dimensions(alarm: dict) -> list[str]:
    """The dimensions of every metric an alarm reads: its own metric, or each of its metric-math metrics."""
    props = alarm["Properties"]
    if "Dimensions" in props:
        return [json.dumps(props["Dimensions"])]
    return [json.dumps(m["MetricStat"]["Metric"]["Dimensions"]) for m in props["Metrics"] if "MetricStat" in m]


def _dead_letter_queues() -> set[str]:
    """Every queue something gives up into: redrive targets, functions' async DLQs, schedules' DLQs."""
    found = {
        q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for q in resources_of_type(TEMPLATE, "AWS::SQS::Queue").values()
        if "RedrivePolicy" in q["Properties"]
    }
    for function in FUNCTIONS.values():
        props = function["Properties"]
        if "DeadLetterQueue" in props:
            found.add(props["DeadLetterQueue"]["TargetArn"]["Fn::GetAtt"][0])
        for event in props.get("Events", {}).values():
            if "DeadLetterConfig" in event.get("Properties", {}):
                found.add(event["Properties"]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0])
    return found


def test_every_async_path_has_an_alarm():
    alarms = resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm")
    watched = [dims for alarm in alarms.values() for dims in _alarmed_dimensions(alarm)]
    dead_letter_queues = _dead_letter_queues()
    assert dead_letter_queues == {"IngestDLQ", "AsyncDLQ"}
    for target in (*dead_letter_queues, "EscalationStateMachine"):
        assert any(target in dims for dims in watched), target


def test_alarms_read_one_metric_per_failure_class():
    # alarms are priced per metric they read: dead letters (the FIFO ingest DLQ + the one standard DLQ of every
    # other async path) and failed escalations; a metric-math alarm alarms when any of its queues holds a message
    alarms = resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm")
    assert sum(len(_alarmed_dimensions(a)) for a in alarms.values()) == 3
    dead = alarms["DeadLettersAlarm"]["Properties"]
    [expression] = [m for m in dead["Metrics"] if m.get("ReturnData")]
    assert expression["Expression"] == "MAX([FILL(ingest, 0), FILL(async, 0)])"
    assert dead["ComparisonOperator"] == "GreaterThanThreshold" and dead["Threshold"] == 0


def test_outputs_name_the_resources():
    assert {"BaseUrl", "AdminTokenParameter", "TableName", "IngestQueueUrl", "EscalationStateMachineArn"} <= set(
        TEMPLATE["Outputs"]
    )


def test_events_queue_feeds_the_webhooks_function_with_partial_failures_and_a_dlq():
    queue = RESOURCES["EventsQueue"]["Properties"]
    function = FUNCTIONS["WebhooksFunction"]["Properties"]
    assert "FifoQueue" not in queue  # standard: deliveries are deduplicated by claims, not by the queue
    assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["AsyncDLQ", "Arn"]}
    event = function["Events"]["EventsQueue"]["Properties"]
    assert event["Queue"] == {"Fn::GetAtt": ["EventsQueue", "Arn"]}
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_functions_that_publish_events_know_the_queue_and_may_send_to_it():
    for name in (
        "RouteFunction",
        "EscalateFunction",
        "ApiFunction",
        "ConsoleFunction",
        "HeartbeatCheckFunction",
        "WebhooksFunction",
    ):
        properties = FUNCTIONS[name]["Properties"]
        assert properties["Environment"]["Variables"]["EVENTS_QUEUE_URL"] == {"Ref": "EventsQueue"}, name
        assert {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["EventsQueue", "QueueName"]}}} in properties[
            "Policies"
        ], name
    assert "EVENTS_QUEUE_URL" not in FUNCTIONS["IngestFunction"]["Properties"].get("Environment", {}).get(
        "Variables", {}
    )


def test_private_webhook_targets_are_refused_by_default_when_deployed():
    assert TEMPLATE["Parameters"]["AllowPrivateTargets"]["Default"] == "false"
    assert TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["ONCALL_ALLOW_PRIVATE_TARGETS"] == {
        "Ref": "AllowPrivateTargets"
    }


def test_escalate_may_send_email_only_from_the_sender_and_sms_only_to_phone_numbers():
    statements = [
        s for p in FUNCTIONS["EscalateFunction"]["Properties"]["Policies"] if "Statement" in p for s in p["Statement"]
    ]
    [ses] = [s for s in statements if s["Action"] == "ses:SendEmail"]
    assert ses["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "NotificationSender"}}}
    [sns] = [s for s in statements if s["Action"] == "sns:Publish"]
    assert "Resource" not in sns and sns["NotResource"] == {"Fn::Sub": "arn:${AWS::Partition}:sns:*:*:*"}


def test_escalate_function_can_address_its_own_state_machine():
    # timers run inside the state machine and must start/stop its executions: the ARN is built from the
    # machine's fixed name (a !Ref would be a circular dependency)
    name = RESOURCES["EscalationStateMachine"]["Properties"]["Name"]
    escalate = FUNCTIONS["EscalateFunction"]["Properties"]
    arn = escalate["Environment"]["Variables"]["ESCALATION_STATE_MACHINE_ARN"]
    assert name == {"Fn::Sub": "${AWS::StackName}-escalation"}
    assert arn["Fn::Sub"].endswith(":stateMachine:" + name["Fn::Sub"])


def test_action_links_are_served_without_api_auth_and_signed_with_their_own_secret():
    events = FUNCTIONS["ApiFunction"]["Properties"]["Events"]
    assert {(e["Properties"]["Path"], e["Properties"]["Method"]) for e in events.values()} >= {
        ("/actions/{token}", "GET"),
        ("/actions/{token}", "POST"),
    }
    key = RESOURCES["ActionLinkKey"]
    assert key["Type"] == "Custom::SecureParameter" and key["Properties"]["Length"] >= 32
    assert key["Properties"]["Name"] == {"Fn::Sub": "/${AWS::StackName}/action-link-key"}
    for function in ("ApiFunction", "EscalateFunction"):
        props = FUNCTIONS[function]["Properties"]
        assert props["Environment"]["Variables"]["ACTION_LINK_PARAMETER"] == {"Ref": "ActionLinkKey"}
        readable = [
            p["SSMParameterReadPolicy"]["ParameterName"] for p in props["Policies"] if "SSMParameterReadPolicy" in p
        ]
        assert {"Fn::Sub": "${AWS::StackName}/action-link-key"} in readable


def test_the_escalate_function_starts_executions_of_its_own_state_machine_without_a_cycle():
    machine = RESOURCES["EscalationStateMachine"]["Properties"]
    assert machine["Name"] == {"Fn::Sub": "${AWS::StackName}-escalation"}
    escalate = FUNCTIONS["EscalateFunction"]["Properties"]
    arn = escalate["Environment"]["Variables"]["ESCALATION_STATE_MACHINE_ARN"]["Fn::Sub"]
    assert arn.endswith(":stateMachine:${AWS::StackName}-escalation")
    assert "EscalationStateMachine" not in json.dumps(escalate)  # no Ref/GetAtt back to the machine
    policies = json.dumps(escalate["Policies"])
    assert "StepFunctionsExecutionPolicy" in policies and "states:StopExecution" in policies


def test_functions_sending_a_users_test_notification_have_the_escalations_channel_grants():
    # the console and the API send a user's test notification through the same channels as EscalateFunction:
    # the same SES (From address only) and SMS (phone numbers, no topic) statements and the sender address
    def channel_grants(name: str) -> list[dict]:
        policies = FUNCTIONS[name]["Properties"]["Policies"]
        statements = [s for p in policies if "Statement" in p for s in p["Statement"]]
        return [s for s in statements if s["Action"] in ("ses:SendEmail", "sns:Publish")]

    for name in ("ConsoleFunction", "ApiFunction"):
        assert channel_grants(name) == channel_grants("EscalateFunction"), name
        variables = FUNCTIONS[name]["Properties"]["Environment"]["Variables"]
        assert variables["NOTIFICATION_SENDER"] == {"Ref": "NotificationSender"}, name


def test_the_keys_are_secure_parameters_readable_only_by_the_functions_that_use_them():
    secure = resources_of_type(TEMPLATE, "Custom::SecureParameter")
    assert set(secure) == {"AdminToken", "ActionLinkKey"}
    for resource in secure.values():
        assert resource["Properties"]["ServiceToken"] == {"Fn::GetAtt": ["SecureParameterFunction", "Arn"]}
    readers = {
        name: sorted(
            p["SSMParameterReadPolicy"]["ParameterName"]["Fn::Sub"]
            for p in f["Properties"]["Policies"]
            if "SSMParameterReadPolicy" in p
        )
        for name, f in FUNCTIONS.items()
    }
    admin, link = "${AWS::StackName}/admin-token", "${AWS::StackName}/action-link-key"
    assert readers == {
        "ApiFunction": [link, admin],
        "ConsoleFunction": [link, admin],
        "EscalateFunction": [link],
        "IngestFunction": [],
        "RouteFunction": [],
        "HeartbeatCheckFunction": [],
        "WebhooksFunction": [],
        "SecureParameterFunction": [],
    }
    # the custom resource's function may write and delete exactly these two parameters, nothing else
    [statement] = [
        s
        for p in FUNCTIONS["SecureParameterFunction"]["Properties"]["Policies"]
        if "Statement" in p
        for s in p["Statement"]
    ]
    assert statement["Action"] == ["ssm:PutParameter", "ssm:DeleteParameter"]
    assert [r["Fn::Sub"].rsplit("parameter/", 1)[1] for r in statement["Resource"]] == [admin, link]
    assert TEMPLATE["Outputs"]["AdminTokenParameter"]["Value"] == {"Ref": "AdminToken"}
    assert (
        "aws ssm get-parameter --name ${AdminToken} --with-decryption"
        in TEMPLATE["Outputs"]["AdminTokenCommand"]["Value"]["Fn::Sub"]
    )
    assert "AWS::SecretsManager::Secret" not in {r["Type"] for r in RESOURCES.values()}
