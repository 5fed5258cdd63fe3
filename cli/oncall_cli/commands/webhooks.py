"""`oncall webhooks`: outgoing webhooks, their delivery log, a test send and a resend."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from oncall_cli.commands import refs
from oncall_cli.ui import (
    JsonOption,
    YesOption,
    client,
    command,
    confirm_delete,
    console,
    details,
    print_json,
    print_table,
    show,
)

webhooks_app = typer.Typer(help="Outgoing webhooks: call your systems when alert groups change.", no_args_is_help=True)

WebhookArg = Annotated[str, typer.Argument(help="Webhook id or name.")]
TRIGGERS = (
    "escalation, alert group created, acknowledge, resolve, silence, unsilence, unresolve, unacknowledge, "
    "status change, personal notification, alert added to group"
)
_FIELDS = [
    "id",
    "name",
    "is_webhook_enabled",
    "trigger_type",
    "http_method",
    "url",
    "headers",
    "data",
    "forward_all",
    "username",
    "password",
    "authorization_header",
    "trigger_template",
    "integration_filter",
    "team",
    "timeout_seconds",
    "max_retries",
]


def _body(
    api,
    *,
    name: str | None,
    url: str | None,
    trigger: str | None,
    method: str | None,
    headers: str | None,
    data: str | None,
    data_file: str | None,
    forward_all: bool | None,
    username: str | None,
    password: str | None,
    authorization_header: str | None,
    trigger_template: str | None,
    integration: list[str] | None,
    team: str | None,
    enabled: bool | None,
    timeout: int | None,
    max_retries: int | None,
) -> dict[str, Any]:
    if data_file is not None:
        data = refs.read_text(data_file, "--data-file")
    values = {
        "name": name,
        "url": url,
        "trigger_type": trigger,
        "http_method": method,
        "headers": headers,
        "data": data,
        "forward_all": forward_all,
        "username": username,
        "password": password,
        "authorization_header": authorization_header,
        "trigger_template": trigger_template,
        "is_webhook_enabled": enabled,
        "timeout_seconds": timeout,
        "max_retries": max_retries,
    }
    body = {k: v for k, v in values.items() if v is not None}
    if integration is not None:
        body["integration_filter"] = [refs.integration(api, i)["id"] for i in integration if i.lower() != "all"]
    if team is not None:
        body["team"] = refs.optional_id(api, "teams", team)
    return body


NameOption = Annotated[str | None, typer.Option(help="Unique name.")]
UrlOption = Annotated[str | None, typer.Option(help="Target URL (a template).")]
TriggerOption = Annotated[str | None, typer.Option("--trigger", help=f"When: {TRIGGERS}.")]
MethodOption = Annotated[str | None, typer.Option("--method", help="GET, POST, PUT, DELETE, OPTIONS, PATCH.")]
HeadersOption = Annotated[str | None, typer.Option(help="A template rendering a JSON object of headers.")]
DataOption = Annotated[str | None, typer.Option(help="The body template (with --no-forward-all).")]
DataFileOption = Annotated[str | None, typer.Option("--data-file", help="… read from a file.")]
ForwardAllOption = Annotated[
    bool | None, typer.Option("--forward-all/--no-forward-all", help="Send the whole event as JSON (default).")
]
UsernameOption = Annotated[str | None, typer.Option(help="HTTP Basic user.")]
PasswordOption = Annotated[str | None, typer.Option(help="HTTP Basic password (read back masked).")]
AuthorizationOption = Annotated[
    str | None, typer.Option("--authorization-header", help="Sent verbatim as Authorization (read back masked).")
]
TriggerTemplateOption = Annotated[
    str | None, typer.Option("--trigger-template", help="Send only when this renders true.")
]
IntegrationOption = Annotated[
    list[str] | None, typer.Option("--integration", help="Only for these integrations, repeatable ('all').")
]
TeamOption = Annotated[str | None, typer.Option(help="Team id or name ('none').")]
EnabledOption = Annotated[bool | None, typer.Option("--enabled/--disabled", help="Whether it fires.")]
TimeoutOption = Annotated[int | None, typer.Option("--timeout", help="Seconds per attempt (1-20, default 10).")]
RetriesOption = Annotated[int | None, typer.Option("--max-retries", help="Retries after the first attempt (0-10).")]


def _show(webhook: dict[str, Any], as_json: bool) -> None:
    show(webhook, as_json, lambda w: console.print(details(w, _FIELDS)))


@command(webhooks_app, "list")
def webhooks_list(as_json: JsonOption = False) -> None:
    """List outgoing webhooks."""
    rows = client().list_all("webhooks")
    show(
        rows,
        as_json,
        lambda r: print_table(r, ["id", "name", "trigger_type", "http_method", "url", "is_webhook_enabled"]),
    )


@command(webhooks_app, "get")
def webhooks_get(webhook: WebhookArg, as_json: JsonOption = False) -> None:
    """Show a webhook (the password and authorization header are masked)."""
    _show(refs.webhook(client(), webhook), as_json)


@command(webhooks_app, "create")
def webhooks_create(
    name: Annotated[str, typer.Option(help="Unique name.")],
    url: Annotated[str, typer.Option(help="Target URL (a template).")],
    trigger: TriggerOption = None,
    method: MethodOption = None,
    headers: HeadersOption = None,
    data: DataOption = None,
    data_file: DataFileOption = None,
    forward_all: ForwardAllOption = None,
    username: UsernameOption = None,
    password: PasswordOption = None,
    authorization_header: AuthorizationOption = None,
    trigger_template: TriggerTemplateOption = None,
    integration: IntegrationOption = None,
    team: TeamOption = None,
    enabled: EnabledOption = None,
    timeout: TimeoutOption = None,
    max_retries: RetriesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an outgoing webhook (default trigger: escalation, i.e. a trigger_webhook step)."""
    api = client()
    body = _body(
        api,
        name=name,
        url=url,
        trigger=trigger,
        method=method,
        headers=headers,
        data=data,
        data_file=data_file,
        forward_all=forward_all,
        username=username,
        password=password,
        authorization_header=authorization_header,
        trigger_template=trigger_template,
        integration=integration,
        team=team,
        enabled=enabled,
        timeout=timeout,
        max_retries=max_retries,
    )
    created = api.request("POST", "webhooks", json=body)
    show(created, as_json, lambda w: console.print(f"Created webhook [bold]{w['name']}[/bold] ({w['id']})"))


@command(webhooks_app, "update")
def webhooks_update(
    webhook: WebhookArg,
    name: NameOption = None,
    url: UrlOption = None,
    trigger: TriggerOption = None,
    method: MethodOption = None,
    headers: HeadersOption = None,
    data: DataOption = None,
    data_file: DataFileOption = None,
    forward_all: ForwardAllOption = None,
    username: UsernameOption = None,
    password: PasswordOption = None,
    authorization_header: AuthorizationOption = None,
    trigger_template: TriggerTemplateOption = None,
    integration: IntegrationOption = None,
    team: TeamOption = None,
    enabled: EnabledOption = None,
    timeout: TimeoutOption = None,
    max_retries: RetriesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change a webhook (only the options given change)."""
    api = client()
    found = refs.webhook(api, webhook)
    body = _body(
        api,
        name=name,
        url=url,
        trigger=trigger,
        method=method,
        headers=headers,
        data=data,
        data_file=data_file,
        forward_all=forward_all,
        username=username,
        password=password,
        authorization_header=authorization_header,
        trigger_template=trigger_template,
        integration=integration,
        team=team,
        enabled=enabled,
        timeout=timeout,
        max_retries=max_retries,
    )
    if not body:
        raise typer.BadParameter("nothing to change (see --help)", param_hint="options")
    _show(api.request("PATCH", f"webhooks/{found['id']}", json=body), as_json)


@command(webhooks_app, "delete")
def webhooks_delete(webhook: WebhookArg, yes: YesOption = False) -> None:
    """Delete a webhook."""
    api = client()
    found = refs.webhook(api, webhook)
    confirm_delete(f"webhook {found['name']} ({found['id']})", yes)
    api.request("DELETE", f"webhooks/{found['id']}")
    console.print(f"Deleted webhook {found['name']} ({found['id']}).")


_RESPONSE_COLUMNS = [
    "id",
    "timestamp",
    "request_trigger",
    "alert_group_id",
    "attempt",
    "status_code",
    "outcome",
    "error",
]


@command(webhooks_app, "responses")
def webhooks_responses(
    webhook: WebhookArg,
    limit: Annotated[int, typer.Option(help="Show at most this many attempts (newest first).")] = 20,
    as_json: JsonOption = False,
) -> None:
    """The webhook's delivery attempts, newest first (kept 30 days)."""
    api = client()
    found = refs.webhook(api, webhook)
    body = api.request("GET", f"webhooks/{found['id']}/responses", params={"perpage": limit})
    show(body["results"], as_json, lambda r: print_table(r, _RESPONSE_COLUMNS, empty="No attempts yet."))


def _show_attempt(attempt: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(attempt)
        return
    console.print(details(attempt, [*_RESPONSE_COLUMNS, "url", "content"]))


@command(webhooks_app, "test")
def webhooks_test(webhook: WebhookArg, as_json: JsonOption = False) -> None:
    """Send a sample event now (the newest alert group it would see, or a made-up one) and show the attempt."""
    api = client()
    found = refs.webhook(api, webhook)
    _show_attempt(api.request("POST", f"webhooks/{found['id']}/test"), as_json)


@command(webhooks_app, "resend")
def webhooks_resend(
    webhook: WebhookArg,
    response: Annotated[str, typer.Argument(help="The attempt's id (see `responses`).")],
    as_json: JsonOption = False,
) -> None:
    """Deliver a logged attempt again (with a new Idempotency-Key)."""
    api = client()
    found = refs.webhook(api, webhook)
    _show_attempt(api.request("POST", f"webhooks/{found['id']}/responses/{response}/resend"), as_json)
