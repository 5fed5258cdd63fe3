"""`oncall`: the command-line tool for Serverless OnCall (local stack and management API)."""

from __future__ import annotations

import json
import shlex
import signal
import sys
import threading
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from oncall_cli.client import ApiError, ConfigurationError, OnCallClient

app = typer.Typer(help="Serverless OnCall: alert integrations and escalation, serverless.", no_args_is_help=True)
integrations_app = typer.Typer(help="Integrations: where monitoring tools send alerts.", no_args_is_help=True)
app.add_typer(integrations_app, name="integrations")
console = Console()
errors = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts) instead of a table.")]

# Exit codes scripts can rely on.
EXIT_API_ERROR = 1
EXIT_USAGE = 2


def _client() -> OnCallClient:
    try:
        return OnCallClient()
    except ConfigurationError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(EXIT_USAGE) from error


def _fail(error: ApiError) -> typer.Exit:
    errors.print(f"[red]{error}[/red]")
    return typer.Exit(EXIT_API_ERROR)


def _table(rows: list[dict[str, Any]], columns: list[str]) -> Table:
    table = Table(*columns)
    for row in rows:
        table.add_row(*(str(row.get(c) if row.get(c) is not None else "") for c in columns))
    return table


@integrations_app.command("list")
def integrations_list(as_json: JsonOption = False) -> None:
    """List integrations with their ingest URLs."""
    try:
        rows = _client().list_all("integrations")
    except ApiError as error:
        raise _fail(error) from error
    if as_json:
        print(json.dumps(rows, indent=2))
    else:
        console.print(_table(rows, ["id", "name", "type", "link"]))


@integrations_app.command("create")
def integrations_create(
    integration_type: Annotated[str, typer.Option("--type", help="alertmanager, grafana_alerting, webhook, …")],
    name: Annotated[str | None, typer.Option(help="Unique name (defaults to the type's title).")] = None,
    chain: Annotated[str | None, typer.Option(help="Escalation chain id for the default route.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create an integration; prints its ingest URL."""
    body: dict[str, Any] = {"type": integration_type}
    if name:
        body["name"] = name
    if chain:
        body["default_route"] = {"escalation_chain_id": chain}
    try:
        created = _client().request("POST", "integrations", json=body)
    except ApiError as error:
        raise _fail(error) from error
    if as_json:
        print(json.dumps(created, indent=2))
    else:
        console.print(f"Created [bold]{created['name']}[/bold] ({created['id']})\nIngest URL: {created['link']}")


# ------------------------------------------------------------------------------------------ people
users_app = typer.Typer(help="Users: who can be paged, their contacts and notification rules.", no_args_is_help=True)
teams_app = typer.Typer(help="Teams.", no_args_is_help=True)
schedules_app = typer.Typer(help="On-call schedules: rotations, overrides, iCal feeds.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(teams_app, name="teams")
app.add_typer(schedules_app, name="schedules")


def _print(payload: Any, as_json: bool, render) -> None:
    if as_json:
        print(json.dumps(payload, indent=2))
    else:
        render(payload)


def _details(obj: dict[str, Any]) -> Table:
    table = Table("field", "value", show_header=False)
    for key, value in obj.items():
        table.add_row(key, value if isinstance(value, str) else json.dumps(value))
    return table


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        name, separator, url = value.partition("=")
        if not separator or not name or not url:
            raise typer.BadParameter(f"expected NAME=URL, got {value!r}", param_hint=option)
        pairs[name] = url
    return pairs


def _usernames(client: OnCallClient) -> dict[str, str]:
    return {u["id"]: u["username"] for u in client.list_all("users")}


@users_app.command("list")
def users_list(as_json: JsonOption = False) -> None:
    """List users."""
    try:
        rows = _client().list_all("users")
    except ApiError as error:
        raise _fail(error) from error
    _print(
        rows,
        as_json,
        lambda r: console.print(
            _table(
                [{**u, "teams": ", ".join(u["teams"])} for u in r],
                ["id", "username", "name", "email", "timezone", "teams"],
            )
        ),
    )


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Unique; iCal feeds may name people by it.")],
    email: Annotated[str | None, typer.Option(help="E-mail address (unique).")] = None,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    timezone: Annotated[str, typer.Option(help="IANA time zone, like Europe/Paris.")] = "UTC",
    phone: Annotated[str | None, typer.Option(help="E.164 phone number, like +15551234567.")] = None,
    contact: Annotated[
        list[str] | None, typer.Option(help="NAME=URL, repeatable: slack=slack://…, sms=sns-sms://+1555…")
    ] = None,
    team: Annotated[list[str] | None, typer.Option(help="Team id or name, repeatable.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a user. Without rules, every contact is notified once."""
    contacts = _pairs(contact or [], "--contact")
    client = _client()
    body: dict[str, Any] = {"username": username, "name": name, "timezone": timezone, "contacts": contacts}
    if email:
        body["email"] = email
    if phone:
        body["phone"] = phone
    try:
        body["teams"] = [client.find("teams", t)["id"] for t in team or []]
        created = client.request("POST", "users", json=body)
    except ApiError as error:
        raise _fail(error) from error
    _print(created, as_json, lambda u: console.print(f"Created user [bold]{u['username']}[/bold] ({u['id']})"))


@users_app.command("get")
def users_get(
    user: Annotated[str, typer.Argument(help="User id, username or e-mail.")], as_json: JsonOption = False
) -> None:
    """Show a user (contact URLs are masked)."""
    try:
        found = _client().find("users", user, names=("username", "email"))
    except ApiError as error:
        raise _fail(error) from error
    _print(found, as_json, lambda u: console.print(_details(u)))


@users_app.command("delete")
def users_delete(user: Annotated[str, typer.Argument(help="User id, username or e-mail.")]) -> None:
    """Delete a user (refused while a schedule or an escalation policy names them)."""
    client = _client()
    try:
        found = client.find("users", user, names=("username", "email"))
        client.request("DELETE", f"users/{found['id']}")
    except ApiError as error:
        raise _fail(error) from error
    console.print(f"Deleted user {found['username']} ({found['id']}).")


@teams_app.command("list")
def teams_list(as_json: JsonOption = False) -> None:
    """List teams."""
    try:
        rows = _client().list_all("teams")
    except ApiError as error:
        raise _fail(error) from error
    _print(rows, as_json, lambda r: console.print(_table(r, ["id", "name", "email"])))


@teams_app.command("create")
def teams_create(
    name: Annotated[str, typer.Option(help="Unique team name.")],
    email: Annotated[str | None, typer.Option(help="Team e-mail address.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a team (add people with `oncall users create --team`)."""
    body: dict[str, Any] = {"name": name, **({"email": email} if email else {})}
    try:
        created = _client().request("POST", "teams", json=body)
    except ApiError as error:
        raise _fail(error) from error
    _print(created, as_json, lambda t: console.print(f"Created team [bold]{t['name']}[/bold] ({t['id']})"))


def _schedule_row(schedule: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {**schedule, "on_call_now": ", ".join(names.get(u, u) for u in schedule["on_call_now"]) or "(no one)"}


@schedules_app.command("list")
def schedules_list(as_json: JsonOption = False) -> None:
    """List schedules with who is on call now."""
    client = _client()
    try:
        rows = client.list_all("schedules")
        names = {} if as_json else _usernames(client)
    except ApiError as error:
        raise _fail(error) from error
    _print(
        rows,
        as_json,
        lambda r: console.print(
            _table([_schedule_row(s, names) for s in r], ["id", "name", "type", "time_zone", "on_call_now"])
        ),
    )


@schedules_app.command("create")
def schedules_create(
    name: Annotated[str, typer.Option(help="Unique schedule name.")],
    time_zone: Annotated[str, typer.Option("--time-zone", help="IANA time zone of handoffs.")] = "UTC",
    team: Annotated[str | None, typer.Option(help="Team id or name.")] = None,
    ical_url: Annotated[str | None, typer.Option("--ical-url", help="An https iCal feed (type ical).")] = None,
    rotation: Annotated[
        str | None, typer.Option(help="One rotation layer: comma-separated user ids or usernames, in order.")
    ] = None,
    frequency: Annotated[str, typer.Option(help="hourly, daily, weekly or custom.")] = "weekly",
    start: Annotated[str | None, typer.Option(help="First handoff, local time (2026-03-23T09:00).")] = None,
    shift_seconds: Annotated[int | None, typer.Option("--shift-seconds", help="custom: shift length.")] = None,
    duration: Annotated[int | None, typer.Option(help="Seconds on call per shift (default: all).")] = None,
    from_file: Annotated[
        typer.FileText | None, typer.Option("--from-file", help="A JSON body (layers, overrides…); options override.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a schedule: one rotation from options, an iCal feed, or a full JSON body from a file."""
    body: dict[str, Any] = {}
    if from_file is not None:
        try:
            body = json.load(from_file)
        except ValueError as error:
            raise typer.BadParameter(f"not JSON: {error}", param_hint="--from-file") from error
    if ical_url and rotation:
        raise typer.BadParameter("use either --ical-url or --rotation", param_hint="--ical-url")
    if rotation and not start:
        raise typer.BadParameter("a rotation needs --start", param_hint="--start")
    client = _client()
    body.update({"name": name, "time_zone": body.get("time_zone", time_zone)})
    try:
        if team:
            body["team_id"] = client.find("teams", team)["id"]
        if ical_url:
            body.update({"type": "ical", "ical_url_primary": ical_url})
        if rotation:
            users = [client.find("users", u.strip(), names=("username", "email"))["id"] for u in rotation.split(",")]
            layer = {"users": users, "frequency": frequency, "start": start}
            layer.update({k: v for k, v in (("shift_seconds", shift_seconds), ("duration", duration)) if v})
            body["layers"] = [*body.get("layers", []), layer]
        created = client.request("POST", "schedules", json=body)
    except ApiError as error:
        raise _fail(error) from error
    _print(created, as_json, lambda s: console.print(f"Created schedule [bold]{s['name']}[/bold] ({s['id']})"))


@schedules_app.command("get")
def schedules_get(
    schedule: Annotated[str, typer.Argument(help="Schedule id or name.")], as_json: JsonOption = False
) -> None:
    """Show a schedule."""
    try:
        found = _client().find("schedules", schedule)
    except ApiError as error:
        raise _fail(error) from error
    _print(found, as_json, lambda s: console.print(_details(s)))


@schedules_app.command("oncall")
def schedules_oncall(
    schedule: Annotated[str, typer.Argument(help="Schedule id or name.")],
    at: Annotated[str | None, typer.Option(help="ISO 8601 time (default: now), like 2026-03-30T09:00:00Z.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Who is on call now (or --at a moment)."""
    client = _client()
    try:
        found = client.find("schedules", schedule)
        answer = client.request("GET", f"schedules/{found['id']}/on_call", params={"at": at} if at else None)
    except ApiError as error:
        raise _fail(error) from error

    def render(payload: dict[str, Any]) -> None:
        console.print(f"On call in [bold]{found['name']}[/bold] at {payload['at']}:")
        if payload["users"]:
            console.print(_table(payload["users"], ["id", "username", "name", "email"]))
        else:
            console.print("(no one)")
        if payload.get("ical_error"):
            errors.print(f"[yellow]{payload['ical_error']}[/yellow]")

    _print(answer, as_json, render)


@app.command()
def demo(
    integration: Annotated[str, typer.Argument(help="Integration id or name.")],
    as_json: JsonOption = False,
) -> None:
    """Send the integration's demo alert (it never groups with real alerts)."""
    client = _client()
    try:
        target = client.find_integration(integration)
        sent = client.request("POST", f"integrations/{target['id']}/send_demo_alert", json={})
    except ApiError as error:
        raise _fail(error) from error
    if as_json:
        print(json.dumps(sent))
    else:
        console.print(f"Demo alert {sent['alert_id']} sent to {target['name']}.")


def _fire_example(ingest_url: str) -> tuple[str, str]:
    def payload(status: str) -> str:
        return json.dumps(
            {
                "receiver": "oncall",
                "status": status,
                "version": "4",
                "groupKey": '{}:{alertname="DiskFull"}',
                "groupLabels": {"alertname": "DiskFull"},
                "commonLabels": {"alertname": "DiskFull", "severity": "critical", "instance": "db-1"},
                "commonAnnotations": {"summary": "Disk on db-1 is 97% full"},
                "alerts": [
                    {
                        "status": status,
                        "labels": {"alertname": "DiskFull", "instance": "db-1", "severity": "critical"},
                        "annotations": {"summary": "Disk on db-1 is 97% full"},
                        "startsAt": "2026-01-01T00:00:00Z",
                        "generatorURL": "http://prometheus.local/graph",
                    }
                ],
            },
            separators=(",", ":"),
        )

    def curl(status: str) -> str:
        return (
            f"curl -sS -X POST -H 'Content-Type: application/json' --data {shlex.quote(payload(status))} {ingest_url}"
        )

    return curl("firing"), curl("resolved")


@app.command()
def local() -> None:
    """Run the whole stack on this machine (moto): what `make run` starts. Ctrl-C stops it.

    Environment: ONCALL_PORT (8080), ONCALL_HOST (127.0.0.1), ONCALL_ADMIN_TOKEN (generated if unset),
    ONCALL_TIME_SCALE (1; 0.01 makes a 5-minute wait take 3 s), ONCALL_STATE_DIR (.oncall-local),
    ONCALL_VERBOSE (1 prints the functions' logs).
    """
    from oncall_cli.local.bootstrap import DEMO_INTEGRATION, create_demo
    from oncall_cli.local.stack import LocalSettings, LocalStack

    settings = LocalSettings.from_environment()
    stack = LocalStack(settings)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stack.start()
        demo_config = create_demo(stack.base_url, stack.admin_token)
        fire, resolve = _fire_example(demo_config.ingest_url)
        print(
            f"""
Serverless OnCall — local stack (AWS emulated by moto at {stack.moto_url})
  Base URL         {stack.base_url}
  API              {stack.base_url}/api/v1/
  Demo integration {DEMO_INTEGRATION}: {demo_config.ingest_url}
  Outbox           {settings.outbox_path}   (every notification is also printed here)
  Time scale       {settings.time_scale}

Fire an alert:
  {fire}
Resolve it:
  {resolve}

Use the CLI in another terminal:
  export ONCALL_URL={stack.base_url}
  export ONCALL_TOKEN={stack.admin_token}
  oncall integrations list

READY {stack.base_url}""",
            flush=True,
        )
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping the local stack…", flush=True)
        stack.stop()


def main() -> None:
    try:
        app()
    except BrokenPipeError:
        sys.exit(0)


if __name__ == "__main__":
    main()
