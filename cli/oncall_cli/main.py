"""`oncall`: the command-line tool for Serverless OnCall (management API, configuration as code, local stack).

Exit codes: 0 success, 1 the API refused or failed (or an apply was declined), 2 usage or configuration
error (bad option, not configured, invalid file), 3 not found (unknown id or name).
"""

from __future__ import annotations

import faulthandler
import json
import os
import shlex
import signal
import sys
import threading

import typer

from oncall_cli.commands import (
    admin,
    alert_groups,
    apply,
    doctor,
    escalation,
    integrations,
    migrate,
    people,
    webhooks,
)
from oncall_cli.ui import EXIT_USAGE, command

app = typer.Typer(
    help="Serverless OnCall: alert integrations and escalation, serverless. "
    "Configure with `oncall login` or ONCALL_URL / ONCALL_TOKEN.",
    no_args_is_help=True,
)
for group, name in (
    (integrations.integrations_app, "integrations"),
    (integrations.routes_app, "routes"),
    (escalation.chains_app, "chains"),
    (escalation.policies_app, "policies"),
    (people.users_app, "users"),
    (people.teams_app, "teams"),
    (people.schedules_app, "schedules"),
    (webhooks.webhooks_app, "webhooks"),
    (alert_groups.alert_groups_app, "alert-groups"),
    (integrations.heartbeat_app, "heartbeat"),
    (integrations.maintenance_app, "maintenance"),
    (admin.tokens_app, "tokens"),
    (admin.settings_app, "settings"),
):
    app.add_typer(group, name=name)
# OnCall's resource names as hidden aliases
app.add_typer(escalation.chains_app, name="escalation-chains", hidden=True)
app.add_typer(escalation.policies_app, name="escalation-policies", hidden=True)

command(app, "login")(admin.login)
command(app, "logout")(admin.logout)
command(app, "status")(admin.status)
command(app, "demo")(integrations.demo)
command(app, "preview")(integrations.preview)
command(app, "tail")(alert_groups.tail)
command(app, "apply")(apply.apply)
command(app, "plan")(apply.plan_command)
command(app, "export")(apply.export)
command(app, "doctor")(doctor.doctor)
command(app, "migrate")(migrate.migrate)


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
    ONCALL_VERBOSE (1 prints the functions' logs), ONCALL_ALLOW_PRIVATE_TARGETS (true; false = the deployed
    posture: webhooks and URL channels refuse private addresses), ONCALL_TEMPLATE (template.yaml; another
    template to build the stack from). Each function runs with only its own environment and its own role's
    permissions (IAM enforced by moto); administrator credentials for moto are in $ONCALL_STATE_DIR/aws.env.
    """
    # Imported here, not at the top: the local runtime (moto, the SAM translator) is a separate install
    # (requirements-local.txt), and every other command works without it.
    try:
        from oncall_local.bootstrap import create_demo
        from oncall_local.stack import LocalSettings, LocalStack
    except ModuleNotFoundError as error:
        print(
            f"`oncall local` needs the local runtime, which is not installed here (no module {error.name!r}).\n"
            "Install it from a checkout of Serverless OnCall: pip install -r requirements-local.txt "
            "(moto, the SAM translator) and pip install --no-deps -e . — or run `make run`.",
            file=sys.stderr,
        )
        raise typer.Exit(EXIT_USAGE) from None

    settings = LocalSettings.from_environment()
    stack = LocalStack(settings)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stack.start()
        demo_config = create_demo(stack.base_url, stack.admin_token)
        fire, resolve = _fire_example(demo_config.ingest_url)
        print(banner(stack, settings, demo_config.ingest_url, fire, resolve), flush=True)
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping the local stack…", flush=True)
        # A stop that hangs says where: every thread's stack on stderr after 10 s, instead of a silent wait.
        faulthandler.dump_traceback_later(10)
        stack.stop()
        faulthandler.cancel_dump_traceback_later()
    # Reached only on Ctrl-C or SIGTERM. The stack is stopped: the port is closed, the pollers and timers are
    # joined. What may still run is moto's emulation of in-flight work (a Step Functions execution waiting,
    # a task's thread): exiting does not wait for it, as deleting a stack does not wait for its executions.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def banner(stack, settings, ingest_url: str, fire: str, resolve: str) -> str:
    """What `make run` prints once the stack is up (how to fire an alert, how to get `oncall` on PATH)."""
    from oncall_local.bootstrap import DEMO_INTEGRATION  # only ever called by `oncall local`, see there

    scale = settings.time_scale
    clock = (
        f"   (the service's clock runs {1 / scale:g}x fast: waits, windows, timestamps)" if scale and scale != 1 else ""
    )
    return f"""
Serverless OnCall — local stack (AWS emulated by moto at {stack.moto_url})
  Base URL         {stack.base_url}
  API              {stack.base_url}/api/v1/
  Demo integration {DEMO_INTEGRATION}: {ingest_url}
  Outbox           {settings.outbox_path}   (every notification is also printed here)
  Time scale       {scale}{clock}

Fire an alert:
  {fire}
Resolve it:
  {resolve}
Each notification printed below carries signed links: `curl -X POST <link>` acknowledges, resolves or
silences from there (a browser GET shows a confirmation page first).

Use the CLI in another terminal (`. .venv/bin/activate` first puts `oncall` on PATH):
  . .venv/bin/activate
  export ONCALL_URL={stack.base_url}
  export ONCALL_TOKEN={stack.admin_token}
  oncall integrations list
(or store them once: oncall login --url {stack.base_url} --token {stack.admin_token})

READY {stack.base_url}"""


def main() -> None:
    try:
        app()
    except BrokenPipeError:
        sys.exit(0)


if __name__ == "__main__":
    main()
