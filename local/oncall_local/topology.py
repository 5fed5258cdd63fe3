"""Creates the stack on moto from the CloudFormation that `sam deploy` submits (template.yaml translated
offline by `translate.py`), through the AWS APIs, and describes how the local runtime must wire it: each
function's own role (the SAM policy templates expanded), its own environment (Globals merged), the event
source mappings, schedules, HTTP routes and the state machine with its role. Used by the local stack and
by the tests.

moto's CloudFormation could create most of the translated stack, but it skips alarms, schedules and API
Gateway v2 silently and creates a state machine that does not execute; the resources the handlers use are
created here instead, from the same translated resources.
"""

from __future__ import annotations

import copy
import io
import json
import re
import secrets
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from oncall_local.template import TEMPLATE_PATH, Resolver, load_template, resources_of_type
from oncall_local.translate import translate

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
SECURE_PARAMETER_TYPE = "Custom::SecureParameter"  # template.yaml: SSM SecureStrings made by a custom resource
# The From address of ses:// notifications locally (verified in moto's SES, like an operator would in SES).
LOCAL_SENDER = "oncall@oncall.localhost"
# The harness's own identity once IAM is enforced: creating resources, reading them back, test assertions.
HARNESS_USER = "oncall-local-harness"


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
    role_arn: str = ""

    @property
    def period_seconds(self) -> float:
        # rate(1 minute) / rate(5 minutes) / rate(1 hour): the only form the template uses.
        amount, unit = self.expression.removeprefix("rate(").removesuffix(")").split()
        return float(amount) * {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600}[unit]


@dataclass(frozen=True)
class Credentials:
    """Temporary credentials from STS AssumeRole (what Lambda puts in a function's environment)."""

    access_key: str
    secret_key: str
    token: str

    def client_kwargs(self) -> dict[str, str]:
        return {
            "aws_access_key_id": self.access_key,
            "aws_secret_access_key": self.secret_key,
            "aws_session_token": self.token,
        }


@dataclass(frozen=True)
class FunctionSpec:
    """One function as deployed: its code, its role and its own environment (nothing else)."""

    code_dir: str  # directory under functions/
    role_arn: str
    environment: dict[str, str]
    credentials: Credentials | None = None


@dataclass
class Topology:
    table_name: str
    ingest_queue_url: str
    ingest_dlq_url: str
    state_machine_arn: str
    admin_token_parameter: str
    functions: dict[str, FunctionSpec]  # logical id -> spec
    http_routes: list[HttpRoute] = field(default_factory=list)
    queue_mappings: list[QueueMapping] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    events_queue_url: str = ""
    state_machine_role_arn: str = ""
    state_machine_credentials: Credentials | None = None
    harness_credentials: Credentials | None = None
    # role logical id -> managed policy ARNs moto does not hold (AWS-managed; logs and the SQS poller only)
    unattached_managed_policies: dict[str, list[str]] = field(default_factory=dict)

    def harness_environment(self) -> dict[str, str]:
        """Every function's variables together: what the harness itself (tests reading the stack, benchmarks)
        uses to reach the resources. Never a function's environment."""
        merged: dict[str, str] = {}
        for spec in self.functions.values():
            for key, value in spec.environment.items():
                merged.setdefault(key, value)
        return merged


_translations: dict[tuple[str, int], dict[str, Any]] = {}


def _translated(template_path: Path) -> dict[str, Any]:
    """The translation of `template_path`, once per process and version of the file (the integration
    tests build a stack per test)."""
    key = (str(template_path.resolve()), template_path.stat().st_mtime_ns)
    if key not in _translations:
        _translations[key] = translate(template_path, region=REGION)
    return copy.deepcopy(_translations[key])


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
    allow_private_targets: bool = False,
    template_path: Path = TEMPLATE_PATH,
) -> Topology:
    """Create every resource of the translated template that the handlers use, on whatever endpoint boto3
    points at, with IAM not yet enforced (the caller enforces it once this returns)."""
    parameters = {
        "PublicBaseUrl": public_base_url,
        "NotificationSender": notification_sender,
        "AllowPrivateTargets": "true" if allow_private_targets else "false",
    }
    template = _translated(template_path)
    resolver = Resolver(
        template,
        pseudo={
            "AWS::StackName": stack_name,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        },
        parameters=parameters,
    )
    resolver.physical["HttpApi"] = "local"
    # The ingest function's URL (decision 80): locally the front door serves its paths on the same port, so a
    # function URL is the front door's base. Deployed, it is another host answering the same paths.
    function_url = f"{public_base_url.rstrip('/')}/" if public_base_url else ""
    resolver.attributes[("IngestFunctionUrl", "FunctionUrl")] = function_url
    for logical_id in resources_of_type(template, "AWS::ApiGatewayV2::Api"):
        resolver.physical[logical_id] = "local"
    _create_tables(template, resolver, stack_name)
    _create_queues(template, resolver)
    _create_secure_parameters(template, resolver, admin_token)
    _verify_sender(notification_sender)
    _name_functions_and_state_machines(template, resolver, stack_name)
    unattached = _create_roles(template, resolver, stack_name)
    code_dirs = _code_dirs(template_path)
    functions = _create_functions(template, resolver, code_dirs)
    sm_arn, sm_role = _create_state_machine(template, resolver)
    harness = _create_harness_identity()
    role_credentials = _assume_roles({*(spec.role_arn for spec in functions.values()), sm_role} - {""})
    functions = {
        name: FunctionSpec(spec.code_dir, spec.role_arn, spec.environment, role_credentials.get(spec.role_arn))
        for name, spec in functions.items()
    }
    return Topology(
        table_name=resolver.ref("Table"),
        ingest_queue_url=resolver.ref("IngestQueue"),
        ingest_dlq_url=resolver.ref("IngestDLQ"),
        state_machine_arn=sm_arn,
        admin_token_parameter=resolver.ref("AdminToken"),
        functions=functions,
        http_routes=_http_routes(template, resolver),
        queue_mappings=_queue_mappings(template, resolver),
        schedules=_schedules(template, resolver),
        events_queue_url=resolver.ref("EventsQueue"),
        state_machine_role_arn=sm_role,
        state_machine_credentials=role_credentials.get(sm_role),
        harness_credentials=harness,
        unattached_managed_policies=unattached,
    )


def _create_tables(template: dict[str, Any], resolver: Resolver, stack_name: str) -> None:
    ddb = boto3.client("dynamodb")
    for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        props = resolver.resolve(resource["Properties"])
        name = props.get("TableName") or f"{stack_name}-{logical_id}"
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


def _create_secure_parameters(template: dict[str, Any], resolver: Resolver, admin_token: str) -> None:
    """Every `Custom::SecureParameter` of the template, as its custom resource creates it on a deploy: a
    SecureString under the resolved name (the resource's Ref). AdminToken holds the stack's admin token, the
    others (ActionLinkKey) a fresh random value."""
    client = boto3.client("ssm")
    for logical_id, resource in resources_of_type(template, SECURE_PARAMETER_TYPE).items():
        props = resolver.resolve({k: v for k, v in resource["Properties"].items() if k != "ServiceToken"})
        value = (admin_token or "unset") if logical_id == "AdminToken" else secrets.token_urlsafe(48)
        client.put_parameter(Name=props["Name"], Value=value, Type="SecureString", Overwrite=True)
        resolver.physical[logical_id] = props["Name"]


def _verify_sender(address: str) -> None:
    if address:
        boto3.client("ses").verify_email_identity(EmailAddress=address)


def _name_functions_and_state_machines(template: dict[str, Any], resolver: Resolver, stack_name: str) -> None:
    """Names and ARNs first, so policies and environments that refer to them (in either direction) resolve."""
    for logical_id in resources_of_type(template, "AWS::Lambda::Function"):
        resolver.physical[logical_id] = logical_id  # the name the state machine and the host use
        resolver.attributes[(logical_id, "Arn")] = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{logical_id}"
    for logical_id, resource in resources_of_type(template, "AWS::StepFunctions::StateMachine").items():
        props = resource["Properties"]
        name = (
            resolver.resolve(props["StateMachineName"]) if "StateMachineName" in props else f"{stack_name}-{logical_id}"
        )
        arn = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{name}"
        resolver.physical[logical_id] = arn
        resolver.attributes[(logical_id, "Name")] = name
        resolver.attributes[(logical_id, "Arn")] = arn
    for logical_id in resources_of_type(template, "AWS::IAM::Role"):
        name = f"{stack_name}-{logical_id}"[:64]
        resolver.physical[logical_id] = name
        resolver.attributes[(logical_id, "Arn")] = f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"


def _create_roles(template: dict[str, Any], resolver: Resolver, stack_name: str) -> dict[str, list[str]]:
    """Every role with its inline policies (SAM's policy templates, expanded by the translator) and its
    managed policies. AWS-managed policies moto does not hold are reported, not invented."""
    iam = boto3.client("iam")
    unattached: dict[str, list[str]] = {}
    for logical_id, resource in resources_of_type(template, "AWS::IAM::Role").items():
        props = resolver.resolve(resource["Properties"])
        name = resolver.physical[logical_id]
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]))
        # The role's inline policies as one document with all their statements: IAM allows what any statement
        # allows (the same union), AWS counts the inline policies of a role against one size quota anyway,
        # and it is one call instead of one per policy (the integration tests build a stack per test).
        # SAM's policy templates carry no Version (IAM then reads them as 2008-10-17); moto insists on one.
        statements = [
            statement
            for policy in props.get("Policies", [])
            for statement in _as_list(policy["PolicyDocument"]["Statement"])
        ]
        if statements:
            document = {"Version": "2012-10-17", "Statement": statements}
            iam.put_role_policy(RoleName=name, PolicyName=f"{logical_id}Policies", PolicyDocument=json.dumps(document))
        for arn in props.get("ManagedPolicyArns", []):
            try:
                iam.attach_role_policy(RoleName=name, PolicyArn=arn)
            except iam.exceptions.NoSuchEntityException:
                unattached.setdefault(logical_id, []).append(arn)
    return unattached


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


_code_dirs_cache: dict[tuple[str, int], dict[str, str]] = {}


def _code_dirs(template_path: Path) -> dict[str, str]:
    """Function logical id -> its directory under functions/ (from the SAM source: the translation has
    only the S3 key `sam package` would upload)."""
    key = (str(template_path.resolve()), template_path.stat().st_mtime_ns)
    if key not in _code_dirs_cache:
        sam = load_template(template_path)
        _code_dirs_cache[key] = {
            logical_id: resource["Properties"]["CodeUri"].strip("/").removeprefix("functions/")
            for logical_id, resource in resources_of_type(sam, "AWS::Serverless::Function").items()
        }
    return dict(_code_dirs_cache[key])


def _create_functions(
    template: dict[str, Any], resolver: Resolver, code_dirs: dict[str, str]
) -> dict[str, FunctionSpec]:
    lam = boto3.client("lambda")
    functions: dict[str, FunctionSpec] = {}
    for logical_id, resource in resources_of_type(template, "AWS::Lambda::Function").items():
        props = resource["Properties"]
        role_arn = resolver.resolve(props["Role"])
        lam.create_function(
            FunctionName=logical_id,
            Runtime=props["Runtime"],
            Role=role_arn,
            Handler=props["Handler"],
            Code={"ZipFile": _dummy_zip()},
        )
        variables = resolver.resolve(props.get("Environment", {}).get("Variables", {}))
        environment = {key: str(value) for key, value in variables.items()}
        functions[logical_id] = FunctionSpec(code_dirs[logical_id], role_arn, environment)
    return functions


def _create_state_machine(template: dict[str, Any], resolver: Resolver) -> tuple[str, str]:
    """The state machine, with its own role (its tasks run with it): (ARN, role ARN)."""
    sfn = boto3.client("stepfunctions")
    arn = role_arn = ""
    for logical_id, resource in resources_of_type(template, "AWS::StepFunctions::StateMachine").items():
        props = resource["Properties"]
        definition = resolver.resolve(props["DefinitionString"])
        for name, value in resolver.resolve(props.get("DefinitionSubstitutions", {})).items():
            definition = definition.replace("${" + name + "}", str(value))
        role_arn = resolver.resolve(props["RoleArn"])
        arn = sfn.create_state_machine(
            name=resolver.attributes[(logical_id, "Name")],
            definition=definition,
            type=props.get("StateMachineType", "STANDARD"),
            roleArn=role_arn,
        )["stateMachineArn"]
    return arn, role_arn


def _create_harness_identity() -> Credentials:
    """An administrator user for what the harness does itself (never a function's calls)."""
    iam = boto3.client("iam")
    iam.create_user(UserName=HARNESS_USER)
    iam.put_user_policy(
        UserName=HARNESS_USER,
        PolicyName="harness",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )
    key = iam.create_access_key(UserName=HARNESS_USER)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"], "")


def _assume_roles(role_arns: set[str]) -> dict[str, Credentials]:
    """What Lambda and Step Functions do: temporary credentials of each role (12 hours, the longest a role
    session can last)."""
    sts = boto3.client("sts")
    found = {}
    for arn in sorted(role_arns):
        assumed = sts.assume_role(RoleArn=arn, RoleSessionName=arn.rsplit("/", 1)[-1][:64], DurationSeconds=43200)
        creds = assumed["Credentials"]
        found[arn] = Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    return found


def _function_of(value: Any) -> str:
    """The logical id of the function a Ref / GetAtt / Sub names (an integration URI, a target ARN)."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return (target if isinstance(target, list) else target.split("."))[0]
        if "Fn::Sub" in value:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            if match := re.search(r"\$\{(\w+)\.Arn\}", text):
                return match.group(1)
    raise ValueError(f"cannot tell which function {value!r} names")


def _http_routes(template: dict[str, Any], resolver: Resolver) -> list[HttpRoute]:
    """Routes of the HTTP API: its OpenAPI body (SAM's HttpApi events) and AWS::ApiGatewayV2::Route
    resources (with their integrations)."""
    routes = []
    for resource in resources_of_type(template, "AWS::ApiGatewayV2::Api").values():
        for path, methods in resource.get("Properties", {}).get("Body", {}).get("paths", {}).items():
            for method, operation in methods.items():
                integration = operation.get("x-amazon-apigateway-integration")
                if not integration:
                    continue
                verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
                routes.append(HttpRoute(method=verb, path=path, function=_function_of(integration["uri"])))
    integrations = resources_of_type(template, "AWS::ApiGatewayV2::Integration")
    for resource in resources_of_type(template, "AWS::ApiGatewayV2::Route").values():
        props = resource["Properties"]
        method, path = props["RouteKey"].split(" ", 1)
        target = props.get("Target")
        text = target if isinstance(target, str) else json.dumps(target)
        integration_id = next((name for name in integrations if name in text), None)
        if integration_id is None:
            continue
        uri = integrations[integration_id]["Properties"]["IntegrationUri"]
        routes.append(HttpRoute(method=method.upper(), path=path, function=_function_of(uri)))
    return routes


def _queue_mappings(template: dict[str, Any], resolver: Resolver) -> list[QueueMapping]:
    mappings = []
    for resource in resources_of_type(template, "AWS::Lambda::EventSourceMapping").values():
        props = resource["Properties"]
        source = props["EventSourceArn"]
        if not (isinstance(source, dict) and "Fn::GetAtt" in source):
            continue
        queue_logical_id = source["Fn::GetAtt"][0]
        queue = template["Resources"][queue_logical_id]
        if queue["Type"] != "AWS::SQS::Queue":
            continue
        mappings.append(
            QueueMapping(
                queue_url=resolver.ref(queue_logical_id),
                queue_arn=resolver.get_att(queue_logical_id, "Arn"),
                function=_function_of(props["FunctionName"]),
                batch_size=int(props.get("BatchSize", 10)),
                report_batch_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                visibility_timeout=int(queue["Properties"].get("VisibilityTimeout", 30)),
            )
        )
    return mappings


def _schedules(template: dict[str, Any], resolver: Resolver) -> list[Schedule]:
    schedules = []
    for resource in resources_of_type(template, "AWS::Scheduler::Schedule").values():
        props = resource["Properties"]
        target = props["Target"]
        schedules.append(
            Schedule(
                expression=props["ScheduleExpression"],
                function=_function_of(target["Arn"]),
                role_arn=resolver.resolve(target.get("RoleArn", "")),
            )
        )
    return schedules
