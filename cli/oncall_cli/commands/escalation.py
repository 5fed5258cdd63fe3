"""`oncall chains|policies`: escalation chains and their steps (escalation policies)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from oncall.configuration.step_types import STEP_TYPE_NAMES
from oncall_cli.client import ApiError, OnCallClient
from oncall_cli.commands import refs
from oncall_cli.ui import (
    JsonOption,
    YesOption,
    client,
    command,
    confirm_delete,
    console,
    details,
    format_duration,
    print_json,
    print_table,
    seconds_option,
    show,
)

chains_app = typer.Typer(help="Escalation chains: ordered steps that page people.", no_args_is_help=True)
policies_app = typer.Typer(help="Escalation policies: the steps of a chain.", no_args_is_help=True)

ChainArg = Annotated[str, typer.Argument(help="Escalation chain id or name.")]
PolicyArg = Annotated[str, typer.Argument(help="Escalation policy (step) id.")]
STEP_TYPES = ", ".join(STEP_TYPE_NAMES)  # the domain's list: a new step type shows up here by itself


class Names:
    """Lazily loaded id -> name maps, for showing steps with names instead of ids."""

    def __init__(self, api: OnCallClient) -> None:
        self._api = api
        self._maps: dict[str, dict[str, str]] = {}

    def of(self, resource: str, field: str = "name") -> dict[str, str]:
        if resource not in self._maps:
            self._maps[resource] = refs.names(self._api, resource, field)
        return self._maps[resource]


def describe_step(step: dict[str, Any], names: Names) -> str:
    """One line a person reads: `notify_persons: alice, bob (important)`."""
    kind = step["type"]
    important = " (important)" if step.get("important") else ""
    match kind:
        case "wait":
            return f"wait {format_duration(step.get('duration') or 0)}"
        case "notify_persons" | "notify_person_next_each_time":
            users = step.get("persons_to_notify") or step.get("persons_to_notify_next_each_time") or []
            usernames = names.of("users", "username")
            return f"{kind}: {', '.join(usernames.get(u, u) for u in users)}{important}"
        case "notify_on_call_from_schedule":
            schedule = step.get("notify_on_call_from_schedule")
            return f"{kind}: {names.of('schedules').get(schedule, schedule)}{important}"
        case "notify_team_members":
            return f"{kind}: {names.of('teams').get(step.get('team_to_notify'), step.get('team_to_notify'))}{important}"
        case "trigger_webhook":
            hook = step.get("action_to_trigger")
            return f"{kind}: {names.of('webhooks').get(hook, hook)}"
        case "notify_channel":
            return f"{kind}: {step.get('channel')}{important}"
        case "notify_if_time_from_to":
            return f"{kind}: {step.get('notify_if_time_from')}-{step.get('notify_if_time_to')}"
        case "notify_if_num_alerts_in_window":
            return f"{kind}: > {step.get('num_alerts_in_window')} alerts in {step.get('num_minutes_in_window')} min"
    return kind


def _steps(api: OnCallClient, chain_id: str) -> list[dict[str, Any]]:
    steps = api.list_all("escalation_policies", escalation_chain_id=chain_id)
    return sorted(steps, key=lambda s: s["position"])


def _unsupported(error: ApiError, what: str) -> ApiError:
    """The chain was just found, so a 404/405 here means this deployment's API lacks the endpoint."""
    if error.status in (404, 405):
        return ApiError(405, {"detail": f"This deployment's API cannot {what} yet ({error})."})
    return error


@command(chains_app, "list")
def chains_list(as_json: JsonOption = False) -> None:
    """List escalation chains with their number of steps."""
    api = client()
    chains = api.list_all("escalation_chains")
    if as_json:
        print_json(chains)
        return
    counts: dict[str, int] = {}
    for step in api.list_all("escalation_policies"):
        counts[step["escalation_chain_id"]] = counts.get(step["escalation_chain_id"], 0) + 1
    teams = refs.names(api, "teams")
    rows = [{**c, "team": teams.get(c["team_id"], c["team_id"]), "steps": counts.get(c["id"], 0)} for c in chains]
    print_table(rows, ["id", "name", "team", "steps"])


@command(chains_app, "get")
def chains_get(chain: ChainArg, as_json: JsonOption = False) -> None:
    """Show a chain and its steps in order."""
    api = client()
    found = refs.chain(api, chain)
    steps = _steps(api, found["id"])
    if as_json:
        print_json({**found, "steps": steps})
        return
    console.print(f"[bold]{found['name']}[/bold] ({found['id']})")
    names = Names(api)
    rows = [{"position": s["position"], "id": s["id"], "step": describe_step(s, names)} for s in steps]
    print_table(rows, ["position", "id", "step"], empty="(no steps: this chain pages no one)")


@command(chains_app, "create")
def chains_create(
    name: Annotated[str, typer.Option(help="Unique chain name.")],
    team: Annotated[str | None, typer.Option(help="Team id or name.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create an escalation chain (add steps with `oncall policies create`)."""
    api = client()
    body: dict[str, Any] = {"name": name}
    if team:
        body["team_id"] = refs.optional_id(api, "teams", team)
    created = api.request("POST", "escalation_chains", json=body)
    show(created, as_json, lambda c: console.print(f"Created chain [bold]{c['name']}[/bold] ({c['id']})"))


@command(chains_app, "update")
def chains_update(
    chain: ChainArg,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    team: Annotated[str | None, typer.Option(help="Team id or name ('none': no team).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Rename a chain or change its team."""
    api = client()
    found = refs.chain(api, chain)
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = name
    if team is not None:
        body["team_id"] = refs.optional_id(api, "teams", team)
    if not body:
        raise typer.BadParameter("nothing to change (see --help)", param_hint="options")
    try:
        updated = api.request("PUT", f"escalation_chains/{found['id']}", json=body)
    except ApiError as error:
        raise _unsupported(error, "change escalation chains") from error
    show(updated, as_json, lambda c: console.print(details(c)))


@command(chains_app, "delete")
def chains_delete(chain: ChainArg, yes: YesOption = False) -> None:
    """Delete a chain and its steps (routes using it stop escalating)."""
    api = client()
    found = refs.chain(api, chain)
    confirm_delete(f"chain {found['name']} ({found['id']}) and its steps", yes)
    try:
        api.request("DELETE", f"escalation_chains/{found['id']}")
    except ApiError as error:
        raise _unsupported(error, "delete escalation chains") from error
    console.print(f"Deleted chain {found['name']} ({found['id']}).")


# ------------------------------------------------------------------------------------------ policies
PersonsOption = Annotated[
    list[str] | None, typer.Option("--persons", help="Users (ids or usernames), comma-separated or repeated.")
]


def _fields(
    api: OnCallClient,
    step_type: str,
    *,
    duration: str | None,
    persons: list[str] | None,
    schedule: str | None,
    team: str | None,
    webhook: str | None,
    channel: str | None,
    important: bool | None,
    time_from: str | None,
    time_to: str | None,
    alerts: int | None,
    minutes: int | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if (seconds := seconds_option(duration, "--duration")) is not None:
        body["duration"] = seconds
    if persons:
        users = [refs.user(api, p.strip())["id"] for value in persons for p in value.split(",") if p.strip()]
        field = (
            "persons_to_notify_next_each_time" if step_type == "notify_person_next_each_time" else "persons_to_notify"
        )
        body[field] = users
    if schedule:
        body["notify_on_call_from_schedule"] = refs.schedule(api, schedule)["id"]
    if team:
        body["team_to_notify"] = refs.team(api, team)["id"]
    if webhook:
        body["action_to_trigger"] = refs.webhook(api, webhook)["id"]
    if channel:
        body["channel"] = channel
    if important is not None:
        body["important"] = important
    if time_from:
        body["notify_if_time_from"] = time_from
    if time_to:
        body["notify_if_time_to"] = time_to
    if alerts is not None:
        body["num_alerts_in_window"] = alerts
    if minutes is not None:
        body["num_minutes_in_window"] = minutes
    return body


DurationOption = Annotated[str | None, typer.Option(help="wait: 90s, 5m, 1h (60 s to 24 h).")]
ScheduleOption = Annotated[str | None, typer.Option(help="notify_on_call_from_schedule: schedule id or name.")]
TeamToNotifyOption = Annotated[str | None, typer.Option(help="notify_team_members: team id or name.")]
WebhookOption = Annotated[str | None, typer.Option(help="trigger_webhook: outgoing webhook id or name.")]
ChannelOption = Annotated[str | None, typer.Option(help="notify_channel: a channel URL (outbox://…, slack://…).")]
ImportantOption = Annotated[
    bool | None, typer.Option("--important/--not-important", help="Use people's important rules.")
]
FromOption = Annotated[str | None, typer.Option("--from", help="notify_if_time_from_to: UTC start, 09:00:00Z.")]
ToOption = Annotated[str | None, typer.Option("--to", help="… and end, 17:00:00Z.")]
AlertsOption = Annotated[int | None, typer.Option(help="notify_if_num_alerts_in_window: more than N alerts …")]
MinutesOption = Annotated[int | None, typer.Option(help="… in M minutes.")]


def _show_step(api: OnCallClient, step: dict[str, Any], as_json: bool, verb: str) -> None:
    show(
        step,
        as_json,
        lambda s: console.print(f"{verb} step {s['id']} at {s['position']}: {describe_step(s, Names(api))}"),
    )


@command(policies_app, "list")
def policies_list(
    chain: Annotated[str | None, typer.Option(help="Only this chain's steps (id or name).")] = None,
    as_json: JsonOption = False,
) -> None:
    """List escalation policies (steps), by chain and position."""
    api = client()
    params = {"escalation_chain_id": refs.chain(api, chain)["id"]} if chain else {}
    steps = api.list_all("escalation_policies", **params)
    if as_json:
        print_json(steps)
        return
    names = Names(api)
    chains = names.of("escalation_chains")
    rows = [
        {**s, "chain": chains.get(s["escalation_chain_id"], s["escalation_chain_id"]), "step": describe_step(s, names)}
        for s in steps
    ]
    print_table(rows, ["id", "chain", "position", "step"])


@command(policies_app, "get")
def policies_get(policy: PolicyArg, as_json: JsonOption = False) -> None:
    """Show a step."""
    show(client().request("GET", f"escalation_policies/{policy}"), as_json, lambda s: console.print(details(s)))


@command(policies_app, "create")
def policies_create(
    chain: Annotated[str, typer.Option(help="Escalation chain id or name.")],
    step_type: Annotated[str, typer.Option("--type", help=f"One of: {STEP_TYPES}.")],
    position: Annotated[int, typer.Option(help="0 = first; -1 = last.")] = -1,
    duration: DurationOption = None,
    persons: PersonsOption = None,
    schedule: ScheduleOption = None,
    team: TeamToNotifyOption = None,
    webhook: WebhookOption = None,
    channel: ChannelOption = None,
    important: ImportantOption = None,
    time_from: FromOption = None,
    time_to: ToOption = None,
    alerts: AlertsOption = None,
    minutes: MinutesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a step to a chain."""
    api = client()
    body = {
        "escalation_chain_id": refs.chain(api, chain)["id"],
        "type": step_type,
        "position": position,
        **_fields(
            api,
            step_type,
            duration=duration,
            persons=persons,
            schedule=schedule,
            team=team,
            webhook=webhook,
            channel=channel,
            important=important,
            time_from=time_from,
            time_to=time_to,
            alerts=alerts,
            minutes=minutes,
        ),
    }
    _show_step(api, api.request("POST", "escalation_policies", json=body), as_json, "Created")


@command(policies_app, "update")
def policies_update(
    policy: PolicyArg,
    step_type: Annotated[str | None, typer.Option("--type", help="A new type (keeps only its fields).")] = None,
    position: Annotated[int | None, typer.Option(help="Move it: 0 = first, -1 = last.")] = None,
    duration: DurationOption = None,
    persons: PersonsOption = None,
    schedule: ScheduleOption = None,
    team: TeamToNotifyOption = None,
    webhook: WebhookOption = None,
    channel: ChannelOption = None,
    important: ImportantOption = None,
    time_from: FromOption = None,
    time_to: ToOption = None,
    alerts: AlertsOption = None,
    minutes: MinutesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change or move a step (only the options given change)."""
    api = client()
    current = api.request("GET", f"escalation_policies/{policy}")
    body = _fields(
        api,
        step_type or current["type"],
        duration=duration,
        persons=persons,
        schedule=schedule,
        team=team,
        webhook=webhook,
        channel=channel,
        important=important,
        time_from=time_from,
        time_to=time_to,
        alerts=alerts,
        minutes=minutes,
    )
    if step_type:
        body["type"] = step_type
    if position is not None:
        body["position"] = position
    if not body:
        raise typer.BadParameter("nothing to change (see --help)", param_hint="options")
    _show_step(api, api.request("PUT", f"escalation_policies/{policy}", json=body), as_json, "Updated")


@command(policies_app, "delete")
def policies_delete(policy: PolicyArg, yes: YesOption = False) -> None:
    """Delete a step (the others move up)."""
    confirm_delete(f"step {policy}", yes)
    client().request("DELETE", f"escalation_policies/{policy}")
    console.print(f"Deleted step {policy}.")
