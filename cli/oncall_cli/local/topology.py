"""Creates the template's resources on moto through the AWS APIs (moto's CloudFormation cannot deploy the
template faithfully) and describes how the local runtime must wire them: the functions' environment,
HTTP routes, queue → function mappings and schedules. Used by the local stack and by the tests."""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from dataclasses import dataclass, field
from typing import Any

import boto3

from oncall_cli.local.template import REPO_ROOT, Resolver, load_template, resources_of_type

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
LAMBDA_ROLE = "oncall-local-lambda"
# The From address of ses:// notifications locally (verified in moto's SES, like an operator would in SES).
LOCAL_SENDER = "oncall@oncall.localhost"


@dataclass(frozen=True)
class HttpRoute:
    method: str  # ANY or a verb
    path: str  # e.g. /api/v1/{proxy+}
    function: str  # logical id

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class QueueMapping:
    queue_url: str
    queue_arn: str
    function: str
    batch_size: int
    report_batch_item_failures: bool
    visibility_timeout: int


@dataclass(frozen=True)
class Schedule:
    expression: str
    function: str

    @property
    def period_seconds(self) -> float:
        # rate(1 minute) / rate(5 minutes) / rate(1 hour): the only form the template uses.
        amount, unit = self.expression.removeprefix("rate(").removesuffix(")").split()
        return float(amount) * {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600}[unit]


@dataclass
class Topology:
    table_name: str
    ingest_queue_url: str
    ingest_dlq_url: str
    state_machine_arn: str
    admin_token_secret_arn: str
    environment: dict[str, str]
    functions: dict[str, str]  # logical id -> directory under functions/
    http_routes: list[HttpRoute] = field(default_factory=list)
    queue_mappings: list[QueueMapping] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    events_queue_url: str = ""


def _dummy_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def create_topology(
    *,
    stack_name: str = "oncall-local",
    admin_token: str = "",
    public_base_url: str = "",
    notification_sender: str = LOCAL_SENDER,
) -> Topology:
    """Create every resource of template.yaml that the handlers use, on whatever endpoint boto3 points at."""
    template = load_template()
    resolver = Resolver(
        template,
        pseudo={
            "AWS::StackName": stack_name,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        },
        parameters={"PublicBaseUrl": public_base_url, "NotificationSender": notification_sender},
    )
    resolver.physical["HttpApi"] = "local"
    _create_table(template, resolver, stack_name)
    _create_queues(template, resolver)
    _create_secrets(template, resolver, admin_token)
    _verify_sender(notification_sender)
    functions = _create_functions(template, resolver)
    sm_arn = _create_state_machine(template, resolver, stack_name)
    environment = _environment(template, resolver)
    return Topology(
        table_name=resolver.ref("Table"),
        ingest_queue_url=resolver.ref("IngestQueue"),
        ingest_dlq_url=resolver.ref("IngestDLQ"),
        state_machine_arn=sm_arn,
        admin_token_secret_arn=resolver.ref("AdminTokenSecret"),
        environment=environment,
        functions=functions,
        http_routes=_http_routes(template),
        queue_mappings=_queue_mappings(template, resolver),
        schedules=_schedules(template),
        events_queue_url=resolver.ref("EventsQueue"),
    )


def _create_table(template: dict[str, Any], resolver: Resolver, stack_name: str) -> None:
    ddb = boto3.client("dynamodb")
    for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        props = resolver.resolve(resource["Properties"])
        name = f"{stack_name}-{logical_id}"
        ddb.create_table(
            TableName=name,
            BillingMode=props["BillingMode"],
            AttributeDefinitions=props["AttributeDefinitions"],
            KeySchema=props["KeySchema"],
            GlobalSecondaryIndexes=props.get("GlobalSecondaryIndexes", []),
        )
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        resolver.physical[logical_id] = name
        resolver.attributes[(logical_id, "Arn")] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"


def _create_queues(template: dict[str, Any], resolver: Resolver) -> None:
    sqs = boto3.client("sqs")
    queues = resources_of_type(template, "AWS::SQS::Queue")
    # Dead-letter queues first: the others point at them.
    ordered = sorted(queues.items(), key=lambda item: "RedrivePolicy" in item[1]["Properties"])
    for logical_id, resource in ordered:
        props = resolver.resolve(resource["Properties"])
        name = props["QueueName"]
        attributes = {
            "VisibilityTimeout": str(props.get("VisibilityTimeout", 30)),
            "MessageRetentionPeriod": str(props.get("MessageRetentionPeriod", 345600)),
        }
        if props.get("FifoQueue"):
            attributes["FifoQueue"] = "true"
            attributes["ContentBasedDeduplication"] = str(props.get("ContentBasedDeduplication", False)).lower()
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        resolver.physical[logical_id] = url
        resolver.attributes[(logical_id, "Arn")] = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
        resolver.attributes[(logical_id, "QueueName")] = name


def _create_secrets(template: dict[str, Any], resolver: Resolver, admin_token: str) -> None:
    """Every secret of the template: AdminTokenSecret holds the admin token, the others (ActionLinkSecret) a
    fresh random value, as GenerateSecretString would."""
    client = boto3.client("secretsmanager")
    for logical_id in resources_of_type(template, "AWS::SecretsManager::Secret"):
        if logical_id == "AdminTokenSecret":
            name, value = "oncall-local-admin-token", admin_token or "unset"
        else:
            name, value = f"oncall-local-{logical_id}", secrets.token_urlsafe(48)
        resolver.physical[logical_id] = client.create_secret(Name=name, SecretString=value)["ARN"]


def _verify_sender(address: str) -> None:
    if address:
        boto3.client("ses").verify_email_identity(EmailAddress=address)


def _create_functions(template: dict[str, Any], resolver: Resolver) -> dict[str, str]:
    iam = boto3.client("iam")
    role_arn = iam.create_role(
        RoleName=LAMBDA_ROLE,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    lam = boto3.client("lambda")
    functions: dict[str, str] = {}
    runtime = template["Globals"]["Function"]["Runtime"]
    for logical_id, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        code_dir = resource["Properties"]["CodeUri"].strip("/").removeprefix("functions/")
        arn = lam.create_function(
            FunctionName=logical_id,
            Runtime=runtime,
            Role=role_arn,
            Handler=resource["Properties"]["Handler"],
            Code={"ZipFile": _dummy_zip()},
        )["FunctionArn"]
        functions[logical_id] = code_dir
        resolver.physical[logical_id] = logical_id
        resolver.attributes[(logical_id, "Arn")] = arn
    return functions


def _create_state_machine(template: dict[str, Any], resolver: Resolver, stack_name: str) -> str:
    sfn = boto3.client("stepfunctions")
    arn = ""
    for logical_id, resource in resources_of_type(template, "AWS::Serverless::StateMachine").items():
        props = resource["Properties"]
        definition = (REPO_ROOT / props["DefinitionUri"]).read_text()
        for name, value in resolver.resolve(props.get("DefinitionSubstitutions", {})).items():
            definition = definition.replace("${" + name + "}", value)
        name = resolver.resolve(props["Name"]) if "Name" in props else f"{stack_name}-{logical_id}"
        arn = sfn.create_state_machine(
            name=name,
            definition=definition,
            type=props.get("Type", "STANDARD"),
            roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{LAMBDA_ROLE}",
        )["stateMachineArn"]
        resolver.physical[logical_id] = arn
        resolver.attributes[(logical_id, "Name")] = name
    return arn


def _environment(template: dict[str, Any], resolver: Resolver) -> dict[str, str]:
    """The union of every function's environment (they share one process locally); conflicts are bugs."""
    merged: dict[str, str] = {}
    global_vars = template["Globals"]["Function"].get("Environment", {}).get("Variables", {})
    for resource in resources_of_type(template, "AWS::Serverless::Function").values():
        own = resource["Properties"].get("Environment", {}).get("Variables", {})
        for key, value in resolver.resolve({**global_vars, **own}).items():
            if key in merged and merged[key] != str(value):
                raise ValueError(f"functions disagree on {key}: {merged[key]!r} vs {value!r}")
            merged[key] = str(value)
    return merged


def _events(template: dict[str, Any], event_type: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical_id, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == event_type:
                found.append((logical_id, event["Properties"]))
    return found


def _http_routes(template: dict[str, Any]) -> list[HttpRoute]:
    return [
        HttpRoute(method=props.get("Method", "ANY").upper(), path=props["Path"], function=logical_id)
        for logical_id, props in _events(template, "HttpApi")
    ]


def _queue_mappings(template: dict[str, Any], resolver: Resolver) -> list[QueueMapping]:
    mappings = []
    for logical_id, props in _events(template, "SQS"):
        queue_logical_id = props["Queue"]["Fn::GetAtt"][0]
        visibility = template["Resources"][queue_logical_id]["Properties"].get("VisibilityTimeout", 30)
        mappings.append(
            QueueMapping(
                queue_url=resolver.ref(queue_logical_id),
                queue_arn=resolver.get_att(queue_logical_id, "Arn"),
                function=logical_id,
                batch_size=int(props.get("BatchSize", 10)),
                report_batch_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                visibility_timeout=int(visibility),
            )
        )
    return mappings


def _schedules(template: dict[str, Any]) -> list[Schedule]:
    return [
        Schedule(expression=props["ScheduleExpression"], function=logical_id)
        for logical_id, props in _events(template, "ScheduleV2")
    ]
