"""Security properties of template.yaml that checkov does not know about (checkov itself runs in `make lint`)."""

from __future__ import annotations

import pytest

from oncall_local.template import load_template

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
FUNCTIONS = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function"}


def test_the_access_log_never_records_paths():
    # integration tokens and action-link signatures are in paths: only the route key is logged
    settings = RESOURCES["HttpApi"]["Properties"]["AccessLogSettings"]
    assert "$context.routeKey" in settings["Format"]
    assert "$context.path" not in settings["Format"] and "rawPath" not in settings["Format"]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_logs_to_a_group_with_retention(name):
    group = FUNCTIONS[name]["Properties"]["LoggingConfig"]["LogGroup"]
    resource = RESOURCES[group["Ref"]]
    assert resource["Type"] == "AWS::Logs::LogGroup"
    assert resource["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_asynchronously_invoked_functions_have_a_dlq(name):
    events = FUNCTIONS[name]["Properties"].get("Events", {}).values()
    if any(event["Type"] in ("Schedule", "ScheduleV2", "SNS", "S3", "EventBridgeRule") for event in events):
        assert "DeadLetterQueue" in FUNCTIONS[name]["Properties"]


def test_every_checkov_suppression_says_why():
    skips = [
        skip
        for resource in RESOURCES.values()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips and all(skip["id"].startswith("CKV_") and len(skip.get("comment", "")) > 20 for skip in skips)
