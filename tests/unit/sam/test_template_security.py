"""Security properties of template.yaml that checkov does not know about (checkov itself runs in `make lint`)."""

from __future__ import annotations

import pytest

from oncall_local.template import Resolver, load_template

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


def test_only_the_ingest_function_has_a_public_url_and_only_when_integration_urls_use_it():
    # given the function URLs and the permissions that make one public (decision 80)
    urls = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Lambda::Url"}
    public = {
        k: v
        for k, v in RESOURCES.items()
        if v["Type"] == "AWS::Lambda::Permission" and v["Properties"].get("Principal") == "*"
    }
    # then there is one URL, on the ingest function, and each public permission names it and is conditional
    assert {k: v["Properties"]["TargetFunctionArn"] for k, v in urls.items()} == {
        "IngestFunctionUrl": {"Fn::GetAtt": ["IngestFunction", "Arn"]}
    }
    assert sorted(public) == ["IngestFunctionUrlInvokePermission", "IngestFunctionUrlPermission"]
    for resource in [*urls.values(), *public.values()]:
        assert resource["Condition"] == "IntegrationUrlsOnFunctionUrl"
    assert all(p["Properties"]["FunctionName"] == {"Ref": "IngestFunction"} for p in public.values())
    # the URL itself may only be invoked through the URL: no direct lambda:Invoke for everyone
    invoke = public["IngestFunctionUrlInvokePermission"]["Properties"]
    assert invoke["Action"] == "lambda:InvokeFunction" and invoke["InvokedViaFunctionUrl"] is True
    assert public["IngestFunctionUrlPermission"]["Properties"]["FunctionUrlAuthType"] == "NONE"


@pytest.mark.parametrize("name", ["ApiFunction", "ConsoleFunction"])
def test_the_pages_that_show_integration_urls_know_the_ingest_url(name):
    variables = FUNCTIONS[name]["Properties"]["Environment"]["Variables"]
    assert variables["INGEST_BASE_URL"] == {
        "Fn::If": ["IntegrationUrlsOnFunctionUrl", {"Fn::GetAtt": ["IngestFunctionUrl", "FunctionUrl"]}, ""]
    }


@pytest.mark.parametrize("name", ["IngestFunction", "RouteFunction"])
def test_the_per_alert_functions_log_json_and_follow_the_log_level(name):
    # given Lambda's advanced logging controls on the functions that run per alert (decision 81)
    logging = FUNCTIONS[name]["Properties"]["LoggingConfig"]
    assert logging["LogFormat"] == "JSON" and logging["SystemLogLevel"] == "WARN"
    assert logging["ApplicationLogLevel"] == {"Fn::FindInMap": ["ApplicationLogLevels", {"Ref": "LogLevel"}, "level"]}
    # then every LogLevel value maps to a level Lambda accepts, never above INFO: Lambda counts a line without
    # a level (an EMF metric line) as INFO, so a stricter level would drop every metric of these functions
    mapping = TEMPLATE["Mappings"]["ApplicationLogLevels"]
    assert set(mapping) == set(TEMPLATE["Parameters"]["LogLevel"]["AllowedValues"])
    assert {k: v["level"] for k, v in mapping.items()} == {
        "DEBUG": "DEBUG",
        "INFO": "INFO",
        "WARNING": "INFO",
        "ERROR": "INFO",
    }


@pytest.mark.parametrize(
    ("choice", "ingest_base", "outputs_base"),
    [
        ("function-url", "https://u1.lambda-url.us-east-1.on.aws/", "https://u1.lambda-url.us-east-1.on.aws/"),
        ("http-api", "", "https://a1.execute-api.us-east-1.amazonaws.com/"),
    ],
)
def test_the_integration_urls_parameter_decides_the_url_and_the_public_permissions(choice, ingest_base, outputs_base):
    # given the template resolved with IntegrationUrls set to each choice
    resolver = Resolver(
        TEMPLATE,
        pseudo={"AWS::Region": "us-east-1", "AWS::URLSuffix": "amazonaws.com"},
        parameters={"IntegrationUrls": choice},
        physical={"HttpApi": "a1"},
        attributes={("IngestFunctionUrl", "FunctionUrl"): "https://u1.lambda-url.us-east-1.on.aws/"},
    )
    # then the pages show integration URLs on the function URL only when it exists, and the output agrees
    for name in ("ApiFunction", "ConsoleFunction"):
        assert resolver.resolve(FUNCTIONS[name]["Properties"]["Environment"]["Variables"]["INGEST_BASE_URL"]) == (
            ingest_base
        )
    assert resolver.resolve(TEMPLATE["Outputs"]["IntegrationBaseUrl"]["Value"]) == outputs_base
    # and the function URL and its public permissions exist only with it
    conditional = ["IngestFunctionUrl", "IngestFunctionUrlPermission", "IngestFunctionUrlInvokePermission"]
    created = [r for r in conditional if resolver.condition(RESOURCES[r]["Condition"])]
    assert created == (conditional if choice == "function-url" else [])
