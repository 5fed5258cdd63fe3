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
