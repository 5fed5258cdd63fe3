"""What CloudFormation will see: `template.yaml` after the SAM transform (offline, as `sam deploy` submits it).
A cycle, a cfn-lint error, an account-wide name or an unconditioned service principal here fails a deploy
(or a second deploy in the same account) that the SAM source alone does not show."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from oncall_local.template import REPO_ROOT, TEMPLATE_PATH
from oncall_local.translate import translate
from tools import translated_lint

TRANSLATED = translate()
RESOURCES = TRANSLATED["Resources"]
STACK_NAME = "${AWS::StackName}"

# Name properties whose values are unique per account and region, and their length limits (AWS docs).
ACCOUNT_WIDE_NAMES = {
    ("AWS::SQS::Queue", "QueueName"): 80,
    ("AWS::StepFunctions::StateMachine", "StateMachineName"): 80,
    ("AWS::Scheduler::Schedule", "Name"): 64,
    ("AWS::Lambda::LayerVersion", "LayerName"): 140,
    ("AWS::Lambda::Function", "FunctionName"): 64,
    ("AWS::IAM::Role", "RoleName"): 64,
    ("AWS::SNS::Topic", "TopicName"): 256,
    ("AWS::DynamoDB::Table", "TableName"): 255,
    ("AWS::Logs::LogGroup", "LogGroupName"): 512,
}


def _cycle_back(tmp_path: Path) -> Path:
    """A copy of the template with the cycle this issue fixed put back: the API function's state machine ARN
    as a !Ref (EscalateFunction -> HttpApi -> ApiFunction -> EscalationStateMachine -> EscalateFunction)."""
    text = TEMPLATE_PATH.read_text()
    api = text.index("  ApiFunction:\n")
    fixed = re.compile(r"ESCALATION_STATE_MACHINE_ARN: !Sub \"[^\"]+\"[^\n]*")
    match = fixed.search(text, api)
    assert match, "the API function builds the state machine ARN from its name"
    copy = tmp_path / "template.yaml"
    copy.write_text(
        text[: match.start()] + "ESCALATION_STATE_MACHINE_ARN: !Ref EscalationStateMachine" + text[match.end() :]
    )
    for local in ("functions", "layers", "statemachines"):
        (tmp_path / local).symlink_to(REPO_ROOT / local)
    return copy


def test_the_translated_template_has_no_dependency_cycle():
    assert translated_lint.cycles(TRANSLATED) == []


def test_the_lint_fails_on_a_reintroduced_cycle_and_names_it(tmp_path, capsys):
    # given a copy of the template with the state machine's !Ref put back in the API function
    template = _cycle_back(tmp_path)

    # when the translated-template lint runs on it
    status = translated_lint.main([str(template), str(tmp_path / "translated.json")])

    # then it fails and names the cycle CloudFormation would refuse
    assert status == 1
    error = capsys.readouterr().err
    assert "circular dependency" in error
    for resource in ("ApiFunction", "EscalationStateMachine", "EscalateFunction", "HttpApi"):
        assert resource in error


def test_cfn_lint_reports_no_error_on_the_translation(tmp_path):
    path = tmp_path / "translated.json"
    path.write_text(json.dumps(TRANSLATED, default=str))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_sees_the_reintroduced_cycle(tmp_path):
    # the lint's second line of defence: cfn-lint on the translation (not on the SAM source) reports E3004
    translated = translate(_cycle_back(tmp_path))
    path = tmp_path / "translated.json"
    path.write_text(json.dumps(translated, default=str))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and "E3004" in result.stdout


def test_every_account_wide_name_is_scoped_to_the_stack():
    for logical_id, resource in RESOURCES.items():
        for (kind, prop), _limit in ACCOUNT_WIDE_NAMES.items():
            if resource["Type"] == kind and prop in resource.get("Properties", {}):
                name = resource["Properties"][prop]
                assert STACK_NAME in json.dumps(name), f"{logical_id}.{prop} = {name} is the same in every stack"


def _longest_stack_name() -> int:
    limits = []
    for resource in RESOURCES.values():
        for (kind, prop), limit in ACCOUNT_WIDE_NAMES.items():
            name = resource.get("Properties", {}).get(prop)
            if resource["Type"] == kind and isinstance(name, dict) and "Fn::Sub" in name:
                limits.append(limit - (len(name["Fn::Sub"]) - len(STACK_NAME)))
    return min(limits)


def test_the_readme_states_the_longest_stack_name_the_derived_names_allow():
    longest = _longest_stack_name()
    assert longest == 58  # the sweep schedule: "<stack>-sweep", at most 64 characters
    assert f"at most {longest} characters" in (REPO_ROOT / "README.md").read_text()


def _service_statements(document: dict) -> list[dict]:
    return [s for s in document.get("Statement", []) if "Service" in (s.get("Principal") or {})]


def test_service_principals_are_bound_to_this_account_and_source():
    unconditioned = []
    for logical_id, resource in RESOURCES.items():
        props = resource.get("Properties", {})
        documents = [props.get("PolicyDocument"), props.get("AssumeRolePolicyDocument")]
        for document in filter(None, documents):
            for statement in _service_statements(document):
                services = statement["Principal"]["Service"]
                services = services if isinstance(services, list) else [services]
                if services == ["lambda.amazonaws.com"]:
                    continue  # Lambda execution roles: Lambda sets no source for AssumeRole
                condition = json.dumps(statement.get("Condition", {}))
                if "aws:SourceAccount" not in condition or "aws:SourceArn" not in condition:
                    unconditioned.append(f"{logical_id}: {services}")
        if props.get("Principal") == "*":
            continue  # the ingest function's public URL: test_template_security checks what it may do
        if resource["Type"] == "AWS::Lambda::Permission" and "SourceArn" not in props:
            unconditioned.append(f"{logical_id}: {props['Principal']}")
    assert unconditioned == []


def test_the_alarm_topic_is_one_cloudwatch_can_publish_to():
    # an aws/sns-encrypted topic silently drops CloudWatch alarm notifications
    topic = RESOURCES["AlarmTopic"]
    assert "KmsMasterKeyId" not in topic["Properties"]
    skipped = {s["id"] for s in topic["Metadata"]["checkov"]["skip"]}
    assert "CKV_AWS_26" in skipped
    alarms = [r for r in RESOURCES.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert alarms and all(a["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms)


def test_the_outputs_the_doctor_reads_exist():
    assert {"BaseUrl", "AdminTokenParameter", "AlarmTopicArn", "EscalationStateMachineArn"} <= set(
        TRANSLATED["Outputs"]
    )


@pytest.mark.parametrize("function", ["ApiFunction", "RouteFunction", "HeartbeatCheckFunction", "EscalateFunction"])
def test_functions_address_the_state_machine_by_its_fixed_name(function):
    variables = RESOURCES[function]["Properties"]["Environment"]["Variables"]
    assert variables["ESCALATION_STATE_MACHINE_ARN"]["Fn::Sub"].endswith(":stateMachine:${AWS::StackName}-escalation")
    assert RESOURCES["EscalationStateMachine"]["Properties"]["StateMachineName"] == {
        "Fn::Sub": "${AWS::StackName}-escalation"
    }
