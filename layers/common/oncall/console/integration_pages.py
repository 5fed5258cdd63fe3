"""Integration pages: the list (maintenance, heartbeat, alerts in the last 24 h), "+ New integration" with a
type picker, and one integration's page: how to connect (URL, copy, the type's instructions), send a demo
alert, maintenance/debug start and stop, heartbeat status/settings/reset, settings and delete.

Every change goes through the API's request models (the same validation) and the same domain functions."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, TemplateSyntaxError

from oncall import wiring
from oncall.api.heartbeats import present_heartbeat
from oncall.configuration import changes as configuration
from oncall.configuration.requests import IntegrationCreate, IntegrationUpdate, RouteCreate, RouteUpdate
from oncall.console.app import Ctx, page, routes, with_done, writer
from oncall.console.forms import moved, owned_item, validated
from oncall.console.http import Response, json_reply, redirect
from oncall.dispatch.grouping import template_for
from oncall.intake.demo import send_demo_alert
from oncall.intake.guide import how_to_connect
from oncall.intake.types.catalog import INTEGRATION_TYPES, get_type, ingest_url
from oncall.models import Integration
from oncall.monitoring import heartbeat, maintenance
from oncall.monitoring.requests import HeartbeatUpdate, MaintenanceStartRequest, MaintenanceWindowCreate
from oncall.platform.errors import NotFoundError, ValidationError
from oncall.templates import preview
from oncall.templates.names import public_template_names, template_slot

MAINTENANCE_DURATIONS = (
    (3600, "1 hour"),
    (3 * 3600, "3 hours"),
    (6 * 3600, "6 hours"),
    (12 * 3600, "12 hours"),
    (86400, "24 hours"),
)


HEARTBEAT_TEMPLATES = ("missing_title", "missing_message", "restored_title", "restored_message")


def integration_href(integration_id: str) -> str:
    return f"/console/integrations/{quote(integration_id, safe='')}"


def _integration(integration_id: str) -> Integration:
    integration = wiring.store().get_integration(integration_id)
    if integration is None:
        raise NotFoundError("This integration does not exist (any more).")
    return integration


def _creatable_types() -> list[Any]:
    types = [t for t in INTEGRATION_TYPES.values() if t.creatable and not t.slug.startswith("legacy_")]
    return sorted(types, key=lambda t: (not t.featured, t.title.lower()))


@routes.add("GET", "/console/integrations")
def list_integrations(ctx: Ctx) -> Response:
    store = wiring.store()
    integrations = sorted(
        (i for i in store.list_integrations() if i.type != "maintenance"), key=lambda i: i.name.lower()
    )
    ids = [i.id for i in integrations]
    heartbeats, maintenances = store.get_heartbeats(ids), store.get_maintenances(ids)
    now = wiring.now_clock().now()
    since = now - timedelta(days=1)
    recent: dict[str, int] = {}
    for group in store.list_groups():
        if group.started_at >= since:
            recent[group.integration_id] = recent.get(group.integration_id, 0) + group.alerts_count
    rows = []
    for i in integrations:
        kind = get_type(i.type)
        hb = heartbeats.get(i.id)
        rows.append(
            {
                "id": i.id,
                "name": i.name,
                "type": kind.title if kind else i.type,
                "maintenance": maintenances.get(i.id),
                "heartbeat": heartbeat.state_of(hb, now).value if kind and kind.heartbeat_available else None,
                "alerts_24h": recent.get(i.id, 0),
            }
        )
    return page(ctx, "integrations.html", section="integrations", title="Integrations", rows=rows)


@routes.add("GET", "/console/integrations/new")
def new_integration_form(ctx: Ctx) -> Response:
    return page(
        ctx,
        "integration_new.html",
        section="integrations",
        title="New integration",
        types=_creatable_types(),
        teams=wiring.store().list_teams(),
    )


@routes.add("POST", "/console/integrations/new")
def create_integration(ctx: Ctx) -> Response:
    writer(ctx)
    form = ctx.request
    request = validated(
        IntegrationCreate,
        {
            "type": form.field("type"),
            "name": form.field("name").strip() or None,
            "description_short": form.field("description_short").strip() or None,
            "team_id": form.field("team_id") or None,
        },
    )
    integration, _ = configuration.create_integration(request, store=wiring.store(), clock=wiring.now_clock())
    return redirect(with_done(integration_href(integration.id), "Integration created. Connect your tool below."))


@routes.add("GET", "/console/integrations/<integration_id>")
def show_integration(ctx: Ctx, integration_id: str) -> Response:
    store = wiring.store()
    integration = _integration(integration_id)
    kind = get_type(integration.type)
    url = ingest_url(ctx.request.integration_base_url, integration)
    now = wiring.now_clock().now()
    hb = None
    if kind and kind.heartbeat_available:
        hb = present_heartbeat(integration, store.get_heartbeat(integration.id), ctx.request.integration_base_url, now)
    groups = [g for g in store.list_groups() if g.integration_id == integration.id][:10]
    chains = sorted(store.list_chains(), key=lambda c: c.name.lower())
    team = store.get_team(integration.team_id) if integration.team_id else None
    return page(
        ctx,
        "integration.html",
        section="integrations",
        title=integration.name,
        integration=integration,
        kind=kind,
        url=url,
        guide=how_to_connect(kind, url, integration.name) if kind and url else "",
        maintenance=store.get_maintenance(integration.id),
        windows=store.list_maintenance_windows(integration.id),
        durations=MAINTENANCE_DURATIONS,
        heartbeat=hb,
        groups=groups,
        teams=store.list_teams(),
        team_name=team.name if team else "",
        routes=routes_view(integration),
        chains=chains,
        static_labels=_lines(integration.labels),
        dynamic_labels=_lines(integration.dynamic_labels),
    )


def _int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError as error:
        raise ValidationError(f"{name}: a whole number of seconds.") from error


@routes.add("POST", "/console/integrations/<integration_id>/<operation>")
def integration_operation(ctx: Ctx, integration_id: str, operation: str) -> Response:
    writer(ctx)
    integration = _integration(integration_id)
    store, form = wiring.store(), ctx.request
    href = integration_href(integration.id)
    if operation == "demo_alert":
        send_demo_alert(
            integration.id,
            None,
            request_id=(form.event.get("requestContext") or {}).get("requestId", ""),
            store=store,
            queue=wiring.alert_queue(),
            clock=wiring.now_clock(),
        )
        return redirect(with_done(href, "Demo alert sent. Its alert group appears in a few seconds."))
    if operation == "maintenance_start":
        request = validated(
            MaintenanceStartRequest,
            {"mode": form.field("mode"), "duration": _int(form.field("duration"), "duration")},
        )
        now = wiring.now_clock().now()
        end_at = now + timedelta(seconds=request.duration)
        maintenance.check_end(now, end_at, "duration")
        maintenance.start(integration.id, request.mode, end_at, actor=ctx.actor, deps=wiring.action_deps())
        return redirect(with_done(href, f"{request.mode.value.capitalize()} mode started."))
    if operation == "window_add":
        start_at = form.field("start_at").strip()
        request = validated(
            MaintenanceWindowCreate,
            {
                "mode": form.field("mode"),
                "duration": _int(form.field("duration"), "duration"),
                "start_at": start_at or None,  # datetime-local: naive = UTC
                "cron": form.field("cron").strip() or None,
                "timezone": form.field("timezone").strip() or "UTC",
            },
        )
        spec = maintenance.WindowSpec(
            mode=request.mode,
            duration_seconds=request.duration,
            start_at=request.start_at,
            cron=request.cron,
            timezone=request.timezone,
        )
        maintenance.create_window(integration.id, spec, ctx.actor, store=store, clock=wiring.now_clock())
        return redirect(with_done(href + "#mt-h", "Maintenance window scheduled."))
    if operation == "window_delete":
        window_id = form.field("window_id")
        if not window_id or len(window_id) > 128:
            raise NotFoundError("No such window.")
        maintenance.delete_window(integration.id, window_id, store=store)
        return redirect(with_done(href + "#mt-h", "Maintenance window deleted."))
    if operation == "maintenance_stop":
        maintenance.stop(integration.id, ctx.actor, wiring.action_deps())
        return redirect(with_done(href, "Maintenance stopped."))
    if operation == "heartbeat":
        request = validated(
            HeartbeatUpdate,
            {
                "period": _int(form.field("period"), "period"),
                "grace_period": _int(form.field("grace_period") or "0", "grace_period"),
                # every field is on the form: an empty cron means "by period", empty templates the defaults
                "cron": form.field("cron").strip() or None,
                "timezone": form.field("timezone").strip() or "UTC",
                "post_only": bool(form.field("post_only")),
                "templates": {name: form.field(f"hb_{name}") or None for name in HEARTBEAT_TEMPLATES},
            },
        )
        heartbeat.configure(integration.id, request.settings(), store=store)
        return redirect(with_done(href, "Heartbeat saved."))
    if operation == "heartbeat_reset":
        heartbeat.reset(integration.id, store=store)
        return redirect(with_done(href, "Heartbeat reset: it waits for the next ping."))
    if operation == "settings":
        request = validated(
            IntegrationUpdate,
            {
                "name": form.field("name").strip() or None,
                "description_short": form.field("description_short").strip(),
                "team_id": form.field("team_id") or None,
            },
        )
        configuration.update_integration(integration.id, request, store=store)
        return redirect(with_done(href, "Settings saved."))
    if operation == "labels":
        return save_labels(ctx, integration)
    if operation == "delete":
        if form.field("confirm_name") != integration.name:
            raise ValidationError(f"Type the integration's name ({integration.name}) to delete it.")
        configuration.delete_integration(integration.id, store=store)
        return redirect(with_done("/console/integrations", f"Integration {integration.name} deleted."))
    raise NotFoundError("No such operation.")


# ------------------------------------------------------------------------------------------ templates
def _template_error_line(text: str) -> int | None:
    """The line of a template's syntax error (Jinja2's parser knows it; the message comes from templating)."""
    try:
        Environment().parse(text)
    except TemplateSyntaxError as error:
        return error.lineno
    return None


def _template_body(integration: Integration, slot: str) -> str:
    return integration.templates.get(slot) or template_for(integration, slot) or ""


def _payload(text: str) -> dict[str, Any] | None:
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ValidationError(f"The payload is not JSON: {error}.") from error
    if not isinstance(value, dict):
        raise ValidationError("The payload must be a JSON object.")
    return value


def run_preview(ctx: Ctx, integration: Integration, name: str, body: str, payload_text: str) -> dict[str, Any]:
    """The API's template preview (oncall.templates.preview) with the error's line when it is a syntax error."""
    result = preview.preview_template(
        integration,
        name,
        body or None,
        _payload(payload_text),
        store=wiring.store(),
        now=wiring.now_clock().now(),
        base_url=ctx.request.base_url,
    )
    error = result["error"]
    line = _template_error_line(body) if error and body else None
    if line is not None:
        error = f"Line {line}: {error}"
    return {"text": result["preview"], "error": error, "line": line, "is_truthy": result["is_truthy"]}


def _editor(ctx: Ctx, integration: Integration, name: str, body: str | None, payload_text: str, result=None):
    slot = template_slot(name)
    if slot is None:
        raise NotFoundError("No such template.")
    return page(
        ctx,
        "templates.html",
        section="integrations",
        title=f"Templates · {integration.name}",
        integration=integration,
        names=public_template_names(),
        name=name,
        body=_template_body(integration, slot) if body is None else body,
        overridden=slot in integration.templates,
        payload_text=payload_text,
        result=result,
    )


@routes.add("GET", "/console/integrations/<integration_id>/templates")
def template_editor(ctx: Ctx, integration_id: str) -> Response:
    return _editor(ctx, _integration(integration_id), ctx.request.arg("name") or "grouping_key", None, "")


@routes.add("POST", "/console/integrations/<integration_id>/templates/preview")
def template_preview(ctx: Ctx, integration_id: str) -> Response:
    writer(ctx)
    integration = _integration(integration_id)
    form = ctx.request
    name, body, payload_text = form.field("name"), form.field("body"), form.field("payload")
    result = run_preview(ctx, integration, name, body, payload_text)
    if form.wants_json():
        return json_reply(result)
    return _editor(ctx, integration, name, body, payload_text, result)


@routes.add("POST", "/console/integrations/<integration_id>/templates/save")
def template_save(ctx: Ctx, integration_id: str) -> Response:
    writer(ctx)
    integration = _integration(integration_id)
    name, body = ctx.request.field("name"), ctx.request.field("body").replace("\r\n", "\n")
    if template_slot(name) is None:
        raise NotFoundError("No such template.")
    value = body if body.strip() else None  # empty: back to the type's default
    surface, _, attribute = name.partition(".")
    templates = {surface: {attribute: value}} if attribute else {name: value}
    request = validated(IntegrationUpdate, {"templates": templates})
    configuration.update_integration(integration.id, request, store=wiring.store())
    wiring.config().invalidate()
    target = f"{integration_href(integration.id)}/templates?name={quote(name)}"
    return redirect(with_done(target, f"Template {name} saved."))


# ------------------------------------------------------------------------------------------ routes, labels
def _pairs(text: str, field: str) -> dict[str, str]:
    """`key=value` lines (or `key: value`) of a textarea."""
    pairs: dict[str, str] = {}
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        key, separator, value = line.partition("=")
        if not separator:
            key, separator, value = line.partition(":")
        if not separator or not key.strip():
            raise ValidationError(f"{field}, line {number}: write key=value.")
        pairs[key.strip()] = value.strip()
    return pairs


def _lines(pairs: dict[str, str]) -> str:
    return "\n".join(f"{k}={v}" for k, v in sorted(pairs.items()))


def routes_view(integration: Integration) -> list[dict[str, Any]]:
    store = wiring.store()
    chains = {c.id: c.name for c in store.list_chains()}
    ordered = sorted(
        (r for r in store.list_routes() if r.integration_id == integration.id),
        key=lambda r: (r.is_default, r.position),
    )
    return [
        {
            "id": r.id,
            "default": r.is_default,
            "type": r.routing_type,
            "term": _lines(r.routing_labels) if r.routing_type == "labels" else (r.routing_regex or ""),
            "chain_id": r.escalation_chain_id or "",
            "chain": chains.get(r.escalation_chain_id or "", ""),
            "position": r.position,
        }
        for r in ordered
    ]


@routes.add("POST", "/console/integrations/<integration_id>/routes/<operation>")
def route_operation(ctx: Ctx, integration_id: str, operation: str) -> Response:
    writer(ctx)
    integration = _integration(integration_id)
    store, form = wiring.store(), ctx.request
    chain_id = form.field("escalation_chain_id") or None
    href = integration_href(integration.id) + "#routes-h"
    if operation == "add":
        routing_type = form.field("routing_type")
        term = form.field("term").strip()
        data: dict[str, Any] = {
            "integration_id": integration.id,
            "routing_type": routing_type,
            "escalation_chain_id": chain_id,
        }
        if routing_type == "labels":
            data["routing_labels"] = _pairs(term, "labels")
        else:
            data["routing_regex"] = term or None
        configuration.create_route(validated(RouteCreate, data), store=store, clock=wiring.now_clock())
        wiring.config().invalidate()
        return redirect(with_done(href, "Route added."))
    route = owned_item(form.field("route_id"), store.get_route, lambda r: r.integration_id == integration.id, "route")
    if operation in ("up", "down"):
        position = moved(route.position, operation)
        configuration.update_route(route.id, validated(RouteUpdate, {"position": position}), store=store)
    elif operation == "chain":
        configuration.update_route(route.id, validated(RouteUpdate, {"escalation_chain_id": chain_id}), store=store)
    elif operation == "delete":
        configuration.delete_route(route.id, store=store)
    else:
        raise NotFoundError("No such operation.")
    wiring.config().invalidate()
    return redirect(with_done(href, "Routes saved."))


def save_labels(ctx: Ctx, integration: Integration) -> Response:
    """Static labels (key=value) and templated labels (key=Jinja2 template), one per line."""
    request = validated(
        IntegrationUpdate,
        {
            "labels": _pairs(ctx.request.field("labels"), "Static labels"),
            "dynamic_labels": _pairs(ctx.request.field("dynamic_labels"), "Templated labels"),
        },
    )
    configuration.update_integration(integration.id, request, store=wiring.store())
    wiring.config().invalidate()
    return redirect(with_done(integration_href(integration.id) + "#labels-h", "Labels saved."))
