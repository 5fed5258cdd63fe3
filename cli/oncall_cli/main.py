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
heartbeat_app = typer.Typer(help="Heartbeat monitoring of an integration (dead man's switch).", no_args_is_help=True)
app.add_typer(heartbeat_app, name="heartbeat")
maintenance_app = typer.Typer(help="Maintenance and debug windows of an integration.", no_args_is_help=True)
app.add_typer(maintenance_app, name="maintenance")
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


# ------------------------------------------------------------------------------------------ durations
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _seconds(value: str | None, option: str) -> int | None:
    """`90`, `90s`, `10m`, `1h`, `2d`, `1w` -> seconds (a bad value is a usage error: exit code 2)."""
    if value is None:
        return None
    text = value.strip().lower()
    try:
        return int(text[:-1]) * _UNITS[text[-1]] if text[-1:] in _UNITS else int(text)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a duration (e.g. 90s, 10m, 1h, 2d)", param_hint=option) from None


def _key_values(body: dict[str, Any], keys: list[str]) -> Table:
    table = Table("field", "value")
    for key in keys:
        value = body.get(key)
        table.add_row(key, "" if value is None else str(value))
    return table


def _call(method: str, path: str, **kwargs: Any) -> Any:
    try:
        return _client().request(method, path, **kwargs)
    except ApiError as error:
        raise _fail(error) from error


def _find(reference: str) -> dict[str, Any]:
    try:
        return _client().find_integration(reference)
    except ApiError as error:
        raise _fail(error) from error


IntegrationArg = Annotated[str, typer.Argument(help="Integration id or name.")]
_HEARTBEAT_FIELDS = [
    "state",
    "link",
    "start_link",
    "fail_link",
    "period",
    "grace_period",
    "cron",
    "timezone",
    "post_only",
    "last_ping_at",
    "next_expected_at",
    "missing_at",
    "down_since",
    "run_started_at",
    "last_failure_at",
    "pings",
    "outages",
]


def _show_heartbeat(body: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(body, indent=2))
    else:
        console.print(_key_values(body, _HEARTBEAT_FIELDS))


# ------------------------------------------------------------------------------------------ heartbeat
@heartbeat_app.command("show")
def heartbeat_show(integration: IntegrationArg, as_json: JsonOption = False) -> None:
    """Heartbeat state (new, up, grace, down, paused), its URLs and its schedule."""
    target = _find(integration)
    _show_heartbeat(_call("GET", f"integrations/{target['id']}/heartbeat"), as_json)


@heartbeat_app.command("reset")
def heartbeat_reset(integration: IntegrationArg, as_json: JsonOption = False) -> None:
    """Disarm the heartbeat until its next ping (a down heartbeat's next ping sends "restored")."""
    target = _find(integration)
    _show_heartbeat(_call("POST", f"integrations/{target['id']}/heartbeat/reset"), as_json)


@heartbeat_app.command("configure")
def heartbeat_configure(
    integration: IntegrationArg,
    period: Annotated[str | None, typer.Option(help="Time between pings: 90s, 10m, 1h, 1d (60 s to 365 d).")] = None,
    grace: Annotated[str | None, typer.Option(help="Extra time before alerting (0 to 365 d).")] = None,
    cron: Annotated[str | None, typer.Option(help="Pings expected at these times instead (5-field cron).")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA time zone of --cron (default UTC).")] = None,
    no_cron: Annotated[bool, typer.Option("--no-cron", help="Back to the period.")] = False,
    post_only: Annotated[
        bool | None, typer.Option("--post-only/--any-method", help="Accept POST signals only (or any method).")
    ] = None,
    missing_title: Annotated[str | None, typer.Option(help="Jinja template of the missing alert's title.")] = None,
    missing_message: Annotated[str | None, typer.Option(help="… of its message.")] = None,
    restored_title: Annotated[str | None, typer.Option(help="… of the restored alert's title.")] = None,
    restored_message: Annotated[str | None, typer.Option(help="… of its message.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Change the heartbeat's schedule or alert texts (only the options given change)."""
    body: dict[str, Any] = {}
    if (seconds := _seconds(period, "--period")) is not None:
        body["period"] = seconds
    if (seconds := _seconds(grace, "--grace")) is not None:
        body["grace_period"] = seconds
    if cron is not None and no_cron:
        raise typer.BadParameter("give --cron or --no-cron, not both", param_hint="--cron")
    if cron is not None or no_cron:
        body["cron"] = None if no_cron else cron
    if timezone is not None:
        body["timezone"] = timezone
    if post_only is not None:
        body["post_only"] = post_only
    templates = {
        "missing_title": missing_title,
        "missing_message": missing_message,
        "restored_title": restored_title,
        "restored_message": restored_message,
    }
    if any(v is not None for v in templates.values()):
        body["templates"] = {k: v for k, v in templates.items() if v is not None}
    if not body:
        raise typer.BadParameter("nothing to change (see --help)", param_hint="options")
    target = _find(integration)
    _show_heartbeat(_call("PUT", f"integrations/{target['id']}/heartbeat", json=body), as_json)


# ------------------------------------------------------------------------------------------ maintenance
_MAINTENANCE_FIELDS = [
    "maintenance_mode",
    "maintenance_started_at",
    "maintenance_end_at",
    "maintenance_incident_id",
    "maintenance_window_id",
    "maintenance_pauses_running_escalations",
]
ModeOption = Annotated[str, typer.Option("--mode", help="maintenance (collect into one incident) or debug (dry run).")]
PauseOption = Annotated[
    bool, typer.Option("--pause-running", help="Also pause escalations already running; they restart at the end.")
]


def _show_maintenance(body: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps({k: body.get(k) for k in ["id", "name", *_MAINTENANCE_FIELDS]}, indent=2))
    elif body.get("maintenance_mode"):
        console.print(_key_values(body, _MAINTENANCE_FIELDS))
    else:
        console.print(f"{body['name']} is not in maintenance.")


@maintenance_app.command("start")
def maintenance_start(
    integration: IntegrationArg,
    duration: Annotated[str | None, typer.Option(help="How long: 30m, 2h, 1d (1 minute to 30 days).")] = None,
    until: Annotated[str | None, typer.Option(help="Or: an end time (ISO 8601, e.g. 2026-12-01T06:00:00Z).")] = None,
    mode: ModeOption = "maintenance",
    pause_running: PauseOption = False,
    as_json: JsonOption = False,
) -> None:
    """Start maintenance now."""
    body: dict[str, Any] = {"mode": mode, "pause_running_escalations": pause_running}
    if (duration is None) == (until is None):
        raise typer.BadParameter("give --duration or --until", param_hint="--duration")
    if duration is not None:
        body["duration"] = _seconds(duration, "--duration")
    else:
        body["end_at"] = until
    target = _find(integration)
    _show_maintenance(_call("POST", f"integrations/{target['id']}/maintenance_start", json=body), as_json)


@maintenance_app.command("stop")
def maintenance_stop(integration: IntegrationArg, as_json: JsonOption = False) -> None:
    """End the current maintenance now (resolves what it collected)."""
    target = _find(integration)
    _show_maintenance(_call("POST", f"integrations/{target['id']}/maintenance_stop"), as_json)


@maintenance_app.command("schedule")
def maintenance_schedule(
    integration: IntegrationArg,
    start: Annotated[str | None, typer.Option(help="Start of one window (ISO 8601).")] = None,
    cron: Annotated[str | None, typer.Option(help="Or: recurring at these times (5-field cron).")] = None,
    timezone: Annotated[str, typer.Option(help="IANA time zone of --cron.")] = "UTC",
    duration: Annotated[str | None, typer.Option(help="How long each window lasts: 30m, 2h, 1d.")] = None,
    until: Annotated[str | None, typer.Option(help="Or, with --start: the end time.")] = None,
    mode: ModeOption = "maintenance",
    pause_running: PauseOption = False,
    as_json: JsonOption = False,
) -> None:
    """Schedule a future window (--start) or a recurring one (--cron)."""
    body: dict[str, Any] = {"mode": mode, "timezone": timezone, "pause_running_escalations": pause_running}
    if (start is None) == (cron is None):
        raise typer.BadParameter("give --start or --cron", param_hint="--start")
    body.update({"start_at": start} if start else {"cron": cron})
    if (duration is None) == (until is None):
        raise typer.BadParameter("give --duration or --until", param_hint="--duration")
    if until is not None:
        body["end_at"] = until
    else:
        body["duration"] = _seconds(duration, "--duration")
    target = _find(integration)
    window = _call("POST", f"integrations/{target['id']}/maintenance_windows", json=body)
    if as_json:
        print(json.dumps(window, indent=2))
    else:
        console.print(f"Scheduled window {window['id']}: next start {window['next_start_at']}")


@maintenance_app.command("list")
def maintenance_list(integration: IntegrationArg, as_json: JsonOption = False) -> None:
    """The current maintenance and the scheduled windows."""
    target = _find(integration)
    windows = _call("GET", f"integrations/{target['id']}/maintenance_windows", params={"perpage": 100})["results"]
    current = {k: target.get(k) for k in _MAINTENANCE_FIELDS}
    if as_json:
        print(json.dumps({"current": current if current["maintenance_mode"] else None, "windows": windows}, indent=2))
        return
    _show_maintenance(target, False)
    columns = ["id", "mode", "start_at", "cron", "timezone", "duration", "next_start_at", "pause_running_escalations"]
    console.print(_table(windows, columns) if windows else "No scheduled windows.")


@maintenance_app.command("cancel")
def maintenance_cancel(integration: IntegrationArg, window: Annotated[str, typer.Argument(help="Window id.")]) -> None:
    """Delete a scheduled window (a maintenance it already started goes on: use stop)."""
    target = _find(integration)
    _call("DELETE", f"integrations/{target['id']}/maintenance_windows/{window}")
    console.print(f"Cancelled window {window}.")


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
Each notification printed below carries signed links: `curl -X POST <link>` acknowledges, resolves or
silences from there (a browser GET shows a confirmation page first).

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
