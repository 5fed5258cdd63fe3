"""`oncall doctor`: smoke-test a deployment (see `oncall_cli/doctor.py` for what it checks)."""

from __future__ import annotations

import os
from typing import Annotated, Any
from urllib.parse import urlsplit

import requests
import typer
from rich.table import Table

from oncall_cli.client import USER_AGENT
from oncall_cli.doctor import FAIL, PASS, Doctor, DoctorError, Target
from oncall_cli.ui import EXIT_API_ERROR, UsageError, console

_STYLE = {PASS: "green", FAIL: "red"}


class HttpApi:
    """The deployment's management API and integration URLs, with requests."""

    def __init__(self, target: Target, timeout: float = 30) -> None:
        self._base = target.base_url
        self._session = requests.Session()
        self._session.headers.update({"Authorization": target.token, "User-Agent": USER_AGENT})
        self._timeout = timeout

    def call(self, method: str, path: str, body: dict | None = None) -> Any:
        route, _, query = path.partition("?")
        url = f"{self._base}/api/v1/{route.strip('/')}/" + (f"?{query}" if query else "")
        try:
            response = self._session.request(method, url, json=body, timeout=self._timeout)
        except requests.RequestException as error:
            raise DoctorError(f"{method} {urlsplit(url).path}: no answer ({type(error).__name__})") from None
        if response.status_code >= 300:
            raise DoctorError(f"{method} {urlsplit(url).path}: HTTP {response.status_code} {response.text[:200]}")
        try:
            return response.json() if response.content else None
        except ValueError:
            raise DoctorError(f"{method} {urlsplit(url).path}: the answer is not JSON") from None

    def post_alert(self, url: str, payload: dict) -> int:
        try:  # as a sender would: no API token, the integration URL is the credential
            response = requests.post(url, json=payload, timeout=self._timeout, headers={"User-Agent": USER_AGENT})
        except requests.RequestException as error:
            raise DoctorError(f"the integration URL did not answer ({type(error).__name__})") from None
        return response.status_code


class AwsCloud:
    """CloudFormation, SSM Parameter Store and SNS with the user's credentials (boto3's usual chain)."""

    def __init__(self, region: str | None = None) -> None:
        import boto3  # on use: only `oncall doctor` needs boto3 (~150 ms); other commands start without it

        self._session = boto3.session.Session(region_name=region)

    def _client(self, service: str) -> Any:
        return self._session.client(service)

    def stack(self, name: str) -> tuple[dict[str, str], dict[str, str]]:
        from botocore.exceptions import BotoCoreError, ClientError  # on use, with boto3 (see __init__)

        try:
            stacks = self._client("cloudformation").describe_stacks(StackName=name)["Stacks"]
        except (ClientError, BotoCoreError) as error:
            raise DoctorError(f"cannot read stack {name!r}: {error}") from None
        stack = stacks[0]
        if not stack.get("StackStatus", "").endswith("_COMPLETE") or "ROLLBACK" in stack.get("StackStatus", ""):
            raise DoctorError(f"stack {name!r} is {stack.get('StackStatus')}")
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
        return outputs, parameters

    def secret(self, name: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError  # on use, with boto3 (see __init__)

        try:
            return self._client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        except (ClientError, BotoCoreError) as error:
            raise DoctorError(f"cannot read the admin token parameter: {error}") from None

    def execution_status(self, execution_arn: str) -> str | None:
        from botocore.exceptions import BotoCoreError, ClientError  # on use, with boto3 (see __init__)

        try:
            return self._client("stepfunctions").describe_execution(executionArn=execution_arn)["status"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                return None
            raise DoctorError(f"cannot read the escalation execution: {error}") from None
        except BotoCoreError as error:
            raise DoctorError(f"cannot read the escalation execution: {error}") from None

    def subscriptions(self, topic_arn: str) -> list[dict[str, str]]:
        from botocore.exceptions import BotoCoreError, ClientError  # on use, with boto3 (see __init__)

        try:
            pages = self._client("sns").get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn)
            return [s for page in pages for s in page.get("Subscriptions", [])]
        except (ClientError, BotoCoreError) as error:
            raise DoctorError(f"cannot list the alarm topic's subscriptions: {error}") from None


def print_report(checks: list) -> None:
    table = Table(title="oncall doctor")
    for column in ("check", "result", "seconds", "detail"):
        table.add_column(column, overflow="fold")
    for check in checks:
        style = _STYLE.get(check.status, "yellow")
        table.add_row(check.name, f"[{style}]{check.status}[/{style}]", f"{check.seconds:.1f}", check.detail)
    console.print(table)


def doctor(
    channel: Annotated[
        str,
        typer.Option(
            help="Where the test escalation sends its one notification (e.g. ses://you@example.com, "
            "sns-sms://+15555550100 or any Apprise URL); recorded as notified or failed on the timeline."
        ),
    ],
    stack_name: Annotated[
        str, typer.Option(help="The CloudFormation stack (`sam deploy`'s stack name); its outputs are read.")
    ] = "",
    base_url: Annotated[str, typer.Option(help="Base URL instead of the stack's BaseUrl output.")] = "",
    token: Annotated[
        str, typer.Option(help="API token instead of the stack's admin token parameter (default: $ONCALL_TOKEN).")
    ] = "",
    region: Annotated[str | None, typer.Option(help="AWS region of the stack (default: boto3's).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each asynchronous step.")] = 60.0,
) -> None:
    """Smoke-test a deployment: a temporary integration, an alert, its escalation and first notification,
    an acknowledgement and the alarm e-mail subscription; then delete what it made. Exit 1 on any failure."""
    token = token or (os.environ.get("ONCALL_TOKEN", "") if not stack_name else "")
    if not stack_name and not base_url:
        raise UsageError("Give --stack-name (read the stack's outputs) or --base-url and --token.")
    cloud = AwsCloud(region) if stack_name else None
    check = Doctor(HttpApi, cloud, channel.strip(), timeout=timeout)
    print_report(check.run(stack_name=stack_name, base_url=base_url, token=token))
    if check.failed:
        raise typer.Exit(EXIT_API_ERROR)
