"""`oncall integrations|routes|preview|demo|heartbeat|maintenance`: where alerts come in and where they go."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from oncall_cli.commands import refs
from oncall_cli.ui import (
    EXIT_API_ERROR,
    JsonOption,
    YesOption,
    client,
    command,
    confirm_delete,
    console,
    details,
    errors,
    label_pairs,
    pairs,
    print_json,
    print_table,
    seconds_option,
    show,
    table,
)

integrations_app = typer.Typer(help="Integrations: where monitoring tools send alerts.", no_args_is_help=True)
routes_app = typer.Typer(help="Routes: which escalation chain an integration's alerts take.", no_args_is_help=True)
heartbeat_app = typer.Typer(help="Heartbeat monitoring of an integration (dead man's switch).", no_args_is_help=True)
maintenance_app = typer.Typer(help="Maintenance and debug windows of an integration.", no_args_is_help=True)

IntegrationArg = Annotated[str, typer.Argument(help="Integration id or name.")]
ChainOption = Annotated[str | None, typer.Option(help="Escalation chain id or name ('none': no chain).")]
TeamOption = Annotated[str | None, typer.Option(help="Team id or name ('none': no team).")]
LabelOption = Annotated[list[str] | None, typer.Option("--label", help="KEY=VALUE (or KEY:VALUE), repeatable.")]
TemplateOption = Annotated[
    list[str] | None,
    typer.Option("--template", help="NAME=BODY, repeatable: grouping_key=…, web.title='{{ payload.title }}'."),
]
TemplateFileOption = Annotated[
    list[str] | None, typer.Option("--template-file", help="NAME=PATH: the template's body from a file.")
]
_SUMMARY_FIELDS = [
    "id",
    "name",
    "type",
    "link",
    "team",
    "description_short",
    "default_chain",
    "labels",
    "dynamic_labels",
    "labels_template",
    "allow_source_based_resolving",
    "grouping_scope",
    "auto_resolve_minutes",
    "rate_limit",
    "maintenance_mode",
    "heartbeat",
]


def _templates(values: list[str] | None, files: list[str] | None, resets: list[str] | None = None) -> dict[str, Any]:
    """`--template web.title=…` options as the API's nested `templates` object (None resets a slot)."""
    flat: dict[str, str | None] = dict(pairs(values, "--template"))
    for name, path in pairs(files, "--template-file").items():
        flat[name] = refs.read_text(path, "--template-file")
    for name in resets or []:
        flat[name] = None
    nested: dict[str, Any] = {}
    for name, body in flat.items():
        surface, dot, attribute = name.partition(".")
        if dot:
            if not isinstance(nested.get(surface), dict):
                nested[surface] = {}
            nested[surface][attribute] = body
        else:
            nested[name] = body
    return nested


def _rate_limit(value: str | None) -> dict[str, int] | None:
    """`300/5m` -> {"alerts": 300, "per_seconds": 300}."""
    if value is None or value.lower() in ("off", "none"):
        return None
    alerts, slash, window = value.partition("/")
    if not slash or not alerts.strip().isdigit():
        raise typer.BadParameter(f"expected ALERTS/PERIOD like 300/5m, got {value!r}", param_hint="--rate-limit")
    return {"alerts": int(alerts), "per_seconds": seconds_option(window, "--rate-limit") or 0}


def _options(
    labels: list[str] | None,
    templates: list[str] | None,
    template_files: list[str] | None,
    grouping_scope: str | None,
    auto_resolve_minutes: int | None,
    rate_limit: str | None,
    source_resolving: bool | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if labels is not None:
        body["labels"] = label_pairs(labels, "--label")
    if templates or template_files:
        body["templates"] = _templates(templates, template_files)
    if grouping_scope is not None:
        body["grouping_scope"] = grouping_scope
    if auto_resolve_minutes is not None:
        body["auto_resolve_minutes"] = auto_resolve_minutes or None
    if rate_limit is not None:
        body["rate_limit"] = _rate_limit(rate_limit)
    if source_resolving is not None:
        body["allow_source_based_resolving"] = source_resolving
    return body


GroupingScopeOption = Annotated[
    str | None, typer.Option("--grouping-scope", help="route (default) or integration: group across routes.")
]
AutoResolveOption = Annotated[
    int | None, typer.Option("--auto-resolve-minutes", help="Resolve groups quiet for this long (0: off).")
]
RateLimitOption = Annotated[str | None, typer.Option("--rate-limit", help="ALERTS/PERIOD like 300/5m, or off.")]
SourceResolvingOption = Annotated[
    bool | None,
    typer.Option("--source-resolving/--no-source-resolving", help="Let the source's resolve signal resolve groups."),
]


def _show_integration(api, integration: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(integration)
        return
    chain_id = (integration.get("default_route") or {}).get("escalation_chain_id")
    shown = {
        **integration,
        "team": refs.names(api, "teams").get(integration["team_id"], integration["team_id"]),
        "default_chain": refs.names(api, "escalation_chains").get(chain_id, chain_id) if chain_id else "(none)",
        "heartbeat": (integration.get("heartbeat") or {}).get("state"),
    }
    console.print(details(shown, _SUMMARY_FIELDS))


@command(integrations_app, "list")
def integrations_list(as_json: JsonOption = False) -> None:
    """List integrations with their ingest URLs."""
    rows = client().list_all("integrations")
    show(rows, as_json, lambda r: print_table(r, ["id", "name", "type", "link", "maintenance_mode"]))


@command(integrations_app, "get")
def integrations_get(integration: IntegrationArg, as_json: JsonOption = False) -> None:
    """Show an integration (options, labels, default route; `templates` shows its templates)."""
    api = client()
    _show_integration(api, refs.integration(api, integration), as_json)


@command(integrations_app, "create")
def integrations_create(
    integration_type: Annotated[str, typer.Option("--type", help="alertmanager, grafana_alerting, webhook, …")],
    name: Annotated[str | None, typer.Option(help="Unique name (defaults to the type's title).")] = None,
    chain: ChainOption = None,
    team: TeamOption = None,
    description: Annotated[str | None, typer.Option(help="Short description.")] = None,
    label: LabelOption = None,
    template: TemplateOption = None,
    template_file: TemplateFileOption = None,
    grouping_scope: GroupingScopeOption = None,
    auto_resolve_minutes: AutoResolveOption = None,
    rate_limit: RateLimitOption = None,
    source_resolving: SourceResolvingOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an integration; prints its ingest URL."""
    api = client()
    body: dict[str, Any] = {"type": integration_type}
    body.update(
        _options(label, template, template_file, grouping_scope, auto_resolve_minutes, rate_limit, source_resolving)
    )
    if name:
        body["name"] = name
    if description is not None:
        body["description_short"] = description
    if team:
        body["team_id"] = refs.optional_id(api, "teams", team)
    if chain:
        body["default_route"] = {"escalation_chain_id": refs.optional_id(api, "escalation_chains", chain)}
    created = api.request("POST", "integrations", json=body)
    show(
        created,
        as_json,
        lambda c: console.print(f"Created [bold]{c['name']}[/bold] ({c['id']})\nIngest URL: {c['link']}"),
    )


@command(integrations_app, "update")
def integrations_update(
    integration: IntegrationArg,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    chain: Annotated[str | None, typer.Option(help="The default route's chain (id or name; 'none').")] = None,
    team: TeamOption = None,
    description: Annotated[str | None, typer.Option(help="Short description.")] = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", help="KEY=VALUE (or KEY:VALUE), repeatable: replaces the labels.")
    ] = None,
    clear_labels: Annotated[bool, typer.Option("--clear-labels", help="Remove every static label.")] = False,
    dynamic_label: Annotated[
        list[str] | None, typer.Option("--dynamic-label", help="KEY=TEMPLATE, repeatable: replaces them.")
    ] = None,
    labels_template: Annotated[
        str | None, typer.Option("--labels-template", help="A template rendering a JSON object ('' removes it).")
    ] = None,
    template: TemplateOption = None,
    template_file: TemplateFileOption = None,
    reset_template: Annotated[
        list[str] | None, typer.Option("--reset-template", help="NAME: back to the type's default, repeatable.")
    ] = None,
    grouping_scope: GroupingScopeOption = None,
    auto_resolve_minutes: AutoResolveOption = None,
    rate_limit: RateLimitOption = None,
    source_resolving: SourceResolvingOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change an integration (only the options given change)."""
    api = client()
    target = refs.integration(api, integration)
    body = _options(None, None, None, grouping_scope, auto_resolve_minutes, rate_limit, source_resolving)
    if label or clear_labels:
        body["labels"] = {} if clear_labels else label_pairs(label, "--label")
    if dynamic_label is not None:
        body["dynamic_labels"] = pairs(dynamic_label, "--dynamic-label")
    if labels_template is not None:
        body["labels_template"] = labels_template or None
    if template or template_file or reset_template:
        body["templates"] = _templates(template, template_file, reset_template)
    if name is not None:
        body["name"] = name
    if description is not None:
        body["description_short"] = description
    if team is not None:
        body["team_id"] = refs.optional_id(api, "teams", team)
    if chain is not None:
        body["default_route"] = {"escalation_chain_id": refs.optional_id(api, "escalation_chains", chain)}
    if not body:
        raise typer.BadParameter("nothing to change (see --help)", param_hint="options")
    _show_integration(api, api.request("PATCH", f"integrations/{target['id']}", json=body), as_json)


@command(integrations_app, "delete")
def integrations_delete(integration: IntegrationArg, yes: YesOption = False) -> None:
    """Delete an integration: its URL stops accepting alerts (403) and its routes go; alert groups stay."""
    api = client()
    target = refs.integration(api, integration)
    confirm_delete(f"integration {target['name']} ({target['id']}) and its routes", yes)
    api.request("DELETE", f"integrations/{target['id']}")
    console.print(f"Deleted integration {target['name']} ({target['id']}).")


@command(integrations_app, "templates")
def integrations_templates(integration: IntegrationArg, as_json: JsonOption = False) -> None:
    """The integration's template overrides (every other template is the type's default)."""
    target = refs.integration(client(), integration)
    rows = []
    for name, value in target["templates"].items():
        if isinstance(value, dict):
            rows += [{"template": f"{name}.{attr}", "body": body} for attr, body in value.items()]
        else:
            rows.append({"template": name, "body": value})
    if as_json:
        print_json(target["templates"])
        return
    overridden = [r for r in rows if r["body"]]
    console.print(table(overridden, ["template", "body"]) if overridden else "Every template is the type's default.")
    console.print(f"Defaults: {', '.join(r['template'] for r in rows if not r['body'])}", style="dim")


# ------------------------------------------------------------------------------------------ routes
RouteArg = Annotated[str, typer.Argument(help="Route id.")]
RegexOption = Annotated[str | None, typer.Option("--regex", help="Match this regex on the payload JSON.")]
Jinja2Option = Annotated[str | None, typer.Option("--jinja2", help="Match when this template renders true.")]
RouteLabelOption = Annotated[
    list[str] | None,
    typer.Option("--label", help="KEY=VALUE (or KEY:VALUE), repeatable: match alerts with all these labels."),
]


def _routing(regex: str | None, jinja2: str | None, labels: list[str] | None) -> dict[str, Any]:
    given = [name for name, value in (("--regex", regex), ("--jinja2", jinja2), ("--label", labels)) if value]
    if len(given) > 1:
        raise typer.BadParameter(f"give one of --regex, --jinja2, --label (got {', '.join(given)})")
    if regex:
        return {"routing_type": "regex", "routing_regex": regex}
    if jinja2:
        return {"routing_type": "jinja2", "routing_regex": jinja2}
    if labels:
        return {"routing_type": "labels", "routing_labels": label_pairs(labels, "--label")}
    return {}


def _route_rows(api, routes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    integrations, chains = refs.names(api, "integrations"), refs.names(api, "escalation_chains")
    rows = []
    for route in routes:
        term = route["routing_labels"] if route["routing_type"] == "labels" else route["routing_regex"]
        rows.append(
            {
                **route,
                "integration": integrations.get(route["integration_id"], route["integration_id"]),
                "match": "(default)" if route["is_the_last_route"] else term,
                "position": "last" if route["is_the_last_route"] else route["position"],
                "chain": chains.get(route["escalation_chain_id"], route["escalation_chain_id"]),
            }
        )
    return rows


@command(routes_app, "list")
def routes_list(
    integration: Annotated[str | None, typer.Option(help="Only this integration's routes (id or name).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Routes in evaluation order (first match wins; the default route is last)."""
    api = client()
    params = {"integration_id": refs.integration(api, integration)["id"]} if integration else {}
    routes = api.list_all("routes", **params)
    if as_json:
        print_json(routes)
        return
    columns = ["id", "integration", "position", "routing_type", "match", "chain"]
    print_table(_route_rows(api, routes), columns)


@command(routes_app, "get")
def routes_get(route: RouteArg, as_json: JsonOption = False) -> None:
    """Show a route."""
    show(client().request("GET", f"routes/{route}"), as_json, lambda r: console.print(details(r)))


@command(routes_app, "create")
def routes_create(
    integration: Annotated[str, typer.Option(help="Integration id or name.")],
    regex: RegexOption = None,
    jinja2: Jinja2Option = None,
    label: RouteLabelOption = None,
    chain: ChainOption = None,
    position: Annotated[int, typer.Option(help="0 = first; -1 = last before the default route.")] = -1,
    as_json: JsonOption = False,
) -> None:
    """Add a route to an integration (give one of --regex, --jinja2, --label)."""
    routing = _routing(regex, jinja2, label)
    if not routing:
        raise typer.BadParameter("give one of --regex, --jinja2 or --label", param_hint="--regex")
    api = client()
    body = {"integration_id": refs.integration(api, integration)["id"], "position": position, **routing}
    if chain is not None:
        body["escalation_chain_id"] = refs.optional_id(api, "escalation_chains", chain)
    created = api.request("POST", "routes", json=body)
    show(created, as_json, lambda r: console.print(f"Created route {r['id']} at position {r['position']}."))


@command(routes_app, "update")
def routes_update(
    route: RouteArg,
    regex: RegexOption = None,
    jinja2: Jinja2Option = None,
    label: RouteLabelOption = None,
    chain: ChainOption = None,
    position: Annotated[int | None, typer.Option(help="Move it: 0 = first, -1 = last.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Change a route's match, chain or position (the default route only takes --chain)."""
    api = client()
    body = _routing(regex, jinja2, label)
    if chain is not None:
        body["escalation_chain_id"] = refs.optional_id(api, "escalation_chains", chain)
    if position is not None:
        body["position"] = position
    if not body:
        raise typer.BadParameter("nothing to change (see --help)", param_hint="options")
    updated = api.request("PATCH", f"routes/{route}", json=body)
    if as_json:
        print_json(updated)
        return
    [row] = _route_rows(api, [updated])  # names, as `routes list` shows them
    console.print(details(row, ["id", "integration", "position", "routing_type", "match", "chain"]))


@command(routes_app, "delete")
def routes_delete(route: RouteArg, yes: YesOption = False) -> None:
    """Delete a route (not the default one)."""
    confirm_delete(f"route {route}", yes)
    client().request("DELETE", f"routes/{route}")
    console.print(f"Deleted route {route}.")


# ------------------------------------------------------------------------------------------ demo, preview
def demo(
    integration: IntegrationArg,
    payload: Annotated[str | None, typer.Option(help="A JSON file (or -) to send instead of the example.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Send the integration's demo alert (it never groups with real alerts)."""
    api = client()
    target = refs.integration(api, integration)
    body = {"demo_alert_payload": refs.payload_file(payload)} if payload else {}
    sent = api.request("POST", f"integrations/{target['id']}/send_demo_alert", json=body)
    if as_json:
        print(json.dumps(sent))
    else:
        console.print(f"Demo alert {sent['alert_id']} sent to {target['name']}.")


def preview(
    integration: IntegrationArg,
    template: Annotated[
        str | None, typer.Option(help="One template: grouping_key, resolve_signal, web.title, sms.title, …")
    ] = None,
    body: Annotated[str | None, typer.Option(help="Try this body instead of the integration's template.")] = None,
    body_file: Annotated[str | None, typer.Option("--body-file", help="… read from a file.")] = None,
    payload: Annotated[
        str | None, typer.Option(help="A JSON payload file (or -); default: the latest alert, else an example.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Preview templates for a payload, through the pipeline's own code.

    With --template: that template's output (--body tries another body). Without: everything route would
    decide (labels, the route taken, grouping, resolve/acknowledge signals) and every template."""
    if (body or body_file) and not template:
        raise typer.BadParameter("--body needs --template (which template it replaces)", param_hint="--body")
    api = client()
    target = refs.integration(api, integration)
    sample = refs.payload_file(payload)
    if template:
        request: dict[str, Any] = {"template_name": template}
        if body_file:
            body = refs.read_text(body_file, "--body-file")
        if body is not None:
            request["template_body"] = body
        if sample is not None:
            request["payload"] = sample
        result = api.request("POST", f"integrations/{target['id']}/preview_template", json=request)
        if as_json:
            print_json(result)
        elif result.get("error"):
            errors.print(result["error"], style="red", markup=False, highlight=False)
        else:
            console.print(result["preview"] if result["preview"] is not None else "", markup=False, highlight=False)
            if result.get("is_truthy") is not None:
                console.print(f"(condition is {'true' if result['is_truthy'] else 'false'})", style="dim")
        if result.get("error"):
            raise typer.Exit(EXIT_API_ERROR)  # a template error fails the command, so it can gate CI
        return
    result = api.request("POST", f"integrations/{target['id']}/preview", json={"payload": sample} if sample else {})
    failed = [name for name, rendered in result["templates"].items() if rendered.get("error")]
    if as_json:
        print_json(result)
        if failed:
            raise typer.Exit(EXIT_API_ERROR)
        return
    decision = {k: result[k] for k in ("title", "labels", "route_id", "groups", "is_resolve_signal")}
    decision["is_acknowledge_signal"] = result["is_acknowledge_signal"]
    console.print(details(decision))
    rows = [
        {"template": name, "output": rendered.get("error") or rendered.get("preview")}
        for name, rendered in result["templates"].items()
    ]
    console.print(table(rows, ["template", "output"]))
    if failed:
        errors.print(f"Template errors in: {', '.join(failed)}.", style="red", markup=False, highlight=False)
        raise typer.Exit(EXIT_API_ERROR)


# ------------------------------------------------------------------------------------------ heartbeat
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
    show(body, as_json, lambda b: console.print(details(b, _HEARTBEAT_FIELDS)))


@command(heartbeat_app, "show")
def heartbeat_show(integration: IntegrationArg, as_json: JsonOption = False) -> None:
    """Heartbeat state (new, up, grace, down, paused), its URLs and its schedule."""
    api = client()
    target = refs.integration(api, integration)
    _show_heartbeat(api.request("GET", f"integrations/{target['id']}/heartbeat"), as_json)


@command(heartbeat_app, "reset")
def heartbeat_reset(integration: IntegrationArg, as_json: JsonOption = False) -> None:
    """Disarm the heartbeat until its next ping (a down heartbeat's next ping sends "restored")."""
    api = client()
    target = refs.integration(api, integration)
    _show_heartbeat(api.request("POST", f"integrations/{target['id']}/heartbeat/reset"), as_json)


@command(heartbeat_app, "configure")
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
    if (seconds := seconds_option(period, "--period")) is not None:
        body["period"] = seconds
    if (seconds := seconds_option(grace, "--grace")) is not None:
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
    api = client()
    target = refs.integration(api, integration)
    _show_heartbeat(api.request("PUT", f"integrations/{target['id']}/heartbeat", json=body), as_json)


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
        print_json({k: body.get(k) for k in ["id", "name", *_MAINTENANCE_FIELDS]})
    elif body.get("maintenance_mode"):
        console.print(details(body, _MAINTENANCE_FIELDS))
    else:
        console.print(f"{body['name']} is not in maintenance.")


@command(maintenance_app, "start")
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
        body["duration"] = seconds_option(duration, "--duration")
    else:
        body["end_at"] = until
    api = client()
    target = refs.integration(api, integration)
    _show_maintenance(api.request("POST", f"integrations/{target['id']}/maintenance_start", json=body), as_json)


@command(maintenance_app, "stop")
def maintenance_stop(integration: IntegrationArg, as_json: JsonOption = False) -> None:
    """End the current maintenance now (resolves what it collected)."""
    api = client()
    target = refs.integration(api, integration)
    stopped = api.request("POST", f"integrations/{target['id']}/maintenance_stop")
    if as_json:
        _show_maintenance(stopped, True)
    elif target.get("maintenance_mode"):
        until = target.get("maintenance_end_at")
        console.print(
            f"Stopped {target['maintenance_mode']} mode of {target['name']}"
            + (f" (it was to end at {until})." if until else ".")
        )
    else:
        console.print(f"{target['name']} was not in maintenance: nothing to stop.")


@command(maintenance_app, "schedule")
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
        body["duration"] = seconds_option(duration, "--duration")
    api = client()
    target = refs.integration(api, integration)
    window = api.request("POST", f"integrations/{target['id']}/maintenance_windows", json=body)
    show(window, as_json, lambda w: console.print(f"Scheduled window {w['id']}: next start {w['next_start_at']}"))


@command(maintenance_app, "list")
def maintenance_list(integration: IntegrationArg, as_json: JsonOption = False) -> None:
    """The current maintenance and the scheduled windows."""
    api = client()
    target = refs.integration(api, integration)
    windows = api.list_all(f"integrations/{target['id']}/maintenance_windows")
    current = {k: target.get(k) for k in _MAINTENANCE_FIELDS}
    if as_json:
        print_json({"current": current if current["maintenance_mode"] else None, "windows": windows})
        return
    _show_maintenance(target, False)
    columns = ["id", "mode", "start_at", "cron", "timezone", "duration", "next_start_at", "pause_running_escalations"]
    print_table(windows, columns, empty="No scheduled windows.")


@command(maintenance_app, "cancel")
def maintenance_cancel(integration: IntegrationArg, window: Annotated[str, typer.Argument(help="Window id.")]) -> None:
    """Delete a scheduled window (a maintenance it already started goes on: use stop)."""
    api = client()
    target = refs.integration(api, integration)
    api.request("DELETE", f"integrations/{target['id']}/maintenance_windows/{window}")
    console.print(f"Cancelled window {window}.")
