"""Escalation chains (a step editor), schedules (who is on call now and next), users (contacts and
notification rules) and outgoing webhooks (delivery log, resend, test). Same request models and domain
functions as the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, get_args
from urllib.parse import quote

from oncall import wiring
from oncall.api.escalation import present_step
from oncall.api.users import present_user
from oncall.configuration import changes as configuration
from oncall.configuration.requests import ChainCreate, StepCreate, StepUpdate
from oncall.configuration.step_types import STEP_FIELDS
from oncall.console.app import Ctx, page, routes, with_done, writer
from oncall.console.forms import moved, owned_item, validated
from oncall.console.http import Response, redirect
from oncall.models import WebhookTriggerName
from oncall.notify import user_notify
from oncall.people import schedule_config
from oncall.people import users as people
from oncall.people.requests import ScheduleWrite, UserPatch, UserTestNotification
from oncall.platform.errors import NotFoundError, ValidationError
from oncall.platform.settings import get_settings
from oncall.webhooks.requests import WebhookIn, WebhookMethod

STEP_TYPES = [str(t.value) for t in STEP_FIELDS]


# ------------------------------------------------------------------------------------------ chains
@routes.add("GET", "/console/escalation_chains")
def list_chains(ctx: Ctx) -> Response:
    store = wiring.store()
    steps: dict[str, int] = {}
    for step in store.list_steps():
        steps[step.escalation_chain_id] = steps.get(step.escalation_chain_id, 0) + 1
    chains = sorted(store.list_chains(), key=lambda c: c.name.lower())
    return page(ctx, "chains.html", section="chains", title="Escalation chains", chains=chains, steps=steps)


@routes.add("POST", "/console/escalation_chains")
def create_chain(ctx: Ctx) -> Response:
    writer(ctx)
    request = validated(ChainCreate, {"name": ctx.request.field("name").strip()})
    chain = configuration.create_chain(request, store=wiring.store(), clock=wiring.now_clock())
    return redirect(with_done(f"/console/escalation_chains/{quote(chain.id)}", "Chain created: add its steps."))


def _chain(chain_id: str):
    chain = wiring.store().get_chain(chain_id)
    if chain is None:
        raise NotFoundError("This escalation chain does not exist (any more).")
    return chain


def _describe_step(body: dict[str, Any], names: dict[str, str]) -> str:
    parts = []
    for key, raw in body.items():
        if key in ("id", "escalation_chain_id", "position", "type") or raw in (None, [], False):
            continue
        if isinstance(raw, list):
            shown = ", ".join(names.get(v, v) for v in raw)
        else:
            shown = names.get(raw, raw) if isinstance(raw, str) else raw
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts)


@routes.add("GET", "/console/escalation_chains/<chain_id>")
def show_chain(ctx: Ctx, chain_id: str) -> Response:
    store = wiring.store()
    chain = _chain(chain_id)
    users = sorted(store.list_users(), key=lambda u: (u.name or u.username).lower())
    schedules = sorted(store.list_schedules(), key=lambda s: s.name.lower())
    names = {u.id: u.name or u.username for u in users} | {s.id: s.name for s in schedules}
    steps = sorted((s for s in store.list_steps() if s.escalation_chain_id == chain.id), key=lambda s: s.position)
    rows = [{"id": s.id, "type": s.type.value, "text": _describe_step(present_step(s), names)} for s in steps]
    return page(
        ctx,
        "chain.html",
        section="chains",
        title=chain.name,
        chain=chain,
        steps=rows,
        step_types=STEP_TYPES,
        users=users,
        schedules=schedules,
        webhooks=sorted(store.list_webhooks(), key=lambda w: w.name.lower()),
    )


def _step_fields(ctx: Ctx, step_type: str) -> dict[str, Any]:
    form = ctx.request
    data: dict[str, Any] = {}
    if form.field("duration"):
        try:
            data["duration"] = int(form.field("duration")) * 60
        except ValueError as error:
            raise ValidationError("duration: whole minutes.") from error
    if form.fields("persons"):
        key = "persons_to_notify_next_each_time" if step_type == "notify_person_next_each_time" else "persons_to_notify"
        data[key] = form.fields("persons")
    for name in ("channel", "notify_on_call_from_schedule", "action_to_trigger"):
        if form.field(name).strip():
            data[name] = form.field(name).strip()
    if form.field("important"):
        data["important"] = True
    return data


@routes.add("POST", "/console/escalation_chains/<chain_id>/<operation>")
def chain_operation(ctx: Ctx, chain_id: str, operation: str) -> Response:
    writer(ctx)
    store = wiring.store()
    chain = _chain(chain_id)
    href = f"/console/escalation_chains/{quote(chain.id)}"
    if operation == "add_step":
        step_type = ctx.request.field("type")
        request = validated(
            StepCreate, {"escalation_chain_id": chain.id, "type": step_type, **_step_fields(ctx, step_type)}
        )
        configuration.create_step(request, store=store, clock=wiring.now_clock())
        return redirect(with_done(href, "Step added."))
    if operation == "delete_chain":
        if ctx.request.field("confirm_name") != chain.name:
            raise ValidationError(f"Type the chain's name ({chain.name}) to delete it.")
        configuration.delete_chain(chain.id, store=store)
        return redirect(with_done("/console/escalation_chains", f"Chain {chain.name} deleted."))
    step = owned_item(ctx.request.field("step_id"), store.get_step, lambda s: s.escalation_chain_id == chain.id, "step")
    if operation in ("up", "down"):
        position = moved(step.position, operation)
        configuration.update_step(step.id, validated(StepUpdate, {"position": position}), store=store)
    elif operation == "delete_step":
        configuration.delete_step(step.id, store=store)
    else:
        raise NotFoundError("No such operation.")
    return redirect(with_done(href, "Steps saved."))


# ------------------------------------------------------------------------------------------ schedules
@routes.add("GET", "/console/schedules")
def list_schedules(ctx: Ctx) -> Response:
    store = wiring.store()
    names = {u.id: u.name or u.username for u in store.list_users()}
    now = wiring.now_clock().now()
    rows = []
    for schedule in sorted(store.list_schedules(), key=lambda s: s.name.lower()):
        current, problem = schedule_config.who_is_on_call(schedule, now, wiring.ical_feeds())
        upcoming = []
        try:
            shifts = schedule_config.final_shifts(schedule, now, now + timedelta(days=14), wiring.ical_feeds())
            upcoming = [s for s in shifts if s.start > now][:1]
        except Exception as error:  # noqa: BLE001 - a feed that cannot be read shows as a problem
            problem = problem or str(error)
        rows.append(
            {
                "name": schedule.name,
                "type": "iCal feed" if schedule.ical_url else "rotations",
                "now": [names.get(u, u) for u in current],
                "next": [(names.get(s.user_id, s.user_id), s.start) for s in upcoming],
                "problem": problem,
            }
        )
    users = sorted(store.list_users(), key=lambda u: u.username.lower())
    teams = sorted(store.list_teams(), key=lambda t: t.name.lower())
    return page(
        ctx,
        "schedules.html",
        section="schedules",
        title="Schedules",
        rows=rows,
        usernames=[u.username for u in users],
        teams=teams,
        frequencies=FREQUENCIES,
    )


FREQUENCIES = ("daily", "weekly", "hourly")


def _user_ids_by_name(text: str) -> list[str]:
    """`alice, bob` (rotation order) into user ids; an unknown username is a 400 that names it."""
    by_name = {u.username.lower(): u.id for u in wiring.store().list_users()}
    names = [n.strip() for n in text.replace("\n", ",").split(",") if n.strip()]
    unknown = [n for n in names if n.lower() not in by_name]
    if unknown:
        raise ValidationError(f"users: no user named {', '.join(unknown)}.")
    return [by_name[n.lower()] for n in names]


@routes.add("POST", "/console/schedules")
def create_schedule(ctx: Ctx) -> Response:
    """One rotation (a layer: frequency, users in order, first handoff) or an iCal feed; more layers and
    overrides through the API or the CLI. The domain's ScheduleWrite and schedule_config do the checking."""
    writer(ctx)
    form = ctx.request
    data: dict[str, Any] = {
        "name": form.field("name").strip(),
        "time_zone": form.field("time_zone").strip() or "UTC",
        "team_id": form.field("team_id") or None,
    }
    if form.field("kind") == "ical":
        data |= {"type": "ical", "ical_url": form.field("ical_url").strip()}
    else:
        data["layers"] = [
            {
                "frequency": form.field("frequency"),
                "users": _user_ids_by_name(form.field("users")),
                "start": form.field("start"),
            }
        ]
    request = validated(ScheduleWrite, data)
    schedule = schedule_config.create_schedule(
        request, store=wiring.store(), clock=wiring.now_clock(), allow_http=get_settings().ical_allow_http
    )
    return redirect(with_done("/console/schedules", f"Schedule {schedule.name} created."))


# ------------------------------------------------------------------------------------------ users
@routes.add("GET", "/console/users")
def list_users(ctx: Ctx) -> Response:
    users = sorted(wiring.store().list_users(), key=lambda u: (u.name or u.username).lower())
    return page(ctx, "users.html", section="users", title="Users", users=[present_user(u) for u in users])


def user_href(user_id: str) -> str:
    return f"/console/users/{quote(user_id, safe='')}"


def contacts_text(contacts: dict[str, str]) -> str:
    """The (masked) contacts as the form shows them: `name url`, one a line."""
    return "\n".join(f"{name} {url}" for name, url in contacts.items())


def rules_text(rules: list[dict[str, Any]]) -> str:
    """Rules as the form shows them: `notify <contact>` or `wait <minutes>`, one a line."""
    lines = []
    for rule in rules:
        if rule["type"] == "notify":
            lines.append(f"notify {rule.get('contact') or ''}".strip())
        else:
            lines.append(f"wait {(rule.get('duration') or 0) // 60}")
    return "\n".join(lines)


def _lines(text: str) -> list[str]:
    return [
        line.strip() for line in text.replace("\r", "").split("\n") if line.strip() and not line.strip().startswith("#")
    ]


def parse_contacts(text: str) -> dict[str, str]:
    """`name url` lines into the API's contacts object (a masked URL sent back keeps the stored one)."""
    contacts: dict[str, str] = {}
    for number, line in enumerate(_lines(text), 1):
        name, _, url = line.partition(" ")
        if not url.strip():
            raise ValidationError(f"contacts, line {number}: write a name, a space and the channel URL.")
        if name in contacts:
            raise ValidationError(f"contacts, line {number}: '{name}' is named twice.")
        contacts[name] = url.strip()
    return contacts


def parse_rules(field: str, text: str) -> list[dict[str, Any]]:
    """`notify <contact>` / `wait <minutes>` lines into the API's rule objects (the API's model checks them)."""
    rules: list[dict[str, Any]] = []
    for number, line in enumerate(_lines(text), 1):
        verb, _, argument = line.partition(" ")
        argument = argument.strip()
        if verb == "notify" and argument:
            rules.append({"type": "notify", "contact": argument})
        elif verb == "wait" and argument.isdigit():
            rules.append({"type": "wait", "duration": int(argument) * 60})
        else:
            raise ValidationError(f"{field}, line {number}: write 'notify <contact>' or 'wait <minutes>'.")
    return rules


@routes.add("GET", "/console/users/<user_id>")
def show_user(ctx: Ctx, user_id: str) -> Response:
    user = present_user(people.get_user(wiring.store(), user_id))
    return page(
        ctx,
        "user.html",
        section="users",
        title=user["name"] or user["username"],
        user=user,
        contacts_text=contacts_text(user["contacts"]),
        default_text=rules_text(user["default_rules"]),
        important_text=rules_text(user["important_rules"]),
    )


@routes.add("POST", "/console/users/<user_id>/<operation>")
def user_operation(ctx: Ctx, user_id: str, operation: str) -> Response:
    writer(ctx)
    store = wiring.store()
    user = people.get_user(store, user_id)
    href = user_href(user.id)
    if operation == "contacts":
        request = validated(UserPatch, {"contacts": parse_contacts(ctx.request.field("contacts"))})
        people.patch_user(user.id, request, store=store)
        return redirect(with_done(href, "Contacts saved."))
    if operation == "rules":
        request = validated(
            UserPatch,
            {
                "default_rules": parse_rules("default rules", ctx.request.field("default_rules")),
                "important_rules": parse_rules("important rules", ctx.request.field("important_rules")),
            },
        )
        people.patch_user(user.id, request, store=store)
        return redirect(with_done(href, "Notification rules saved."))
    if operation == "test":
        request = validated(UserTestNotification, {"contact": ctx.request.field("contact").strip() or None})
        outcomes = user_notify.send_test_notification(
            user, request.contact, notifier=wiring.notifier(), now=wiring.now_clock().now()
        )
        told = "; ".join(f"{o.contact}: {'sent' if o.sent else 'failed (' + o.error + ')'}" for o in outcomes)
        return redirect(with_done(href, f"Test notification: {told}."))
    raise NotFoundError("No such operation.")


# ------------------------------------------------------------------------------------------ webhooks
@routes.add("GET", "/console/webhooks")
def list_webhooks(ctx: Ctx) -> Response:
    webhooks = sorted(wiring.store().list_webhooks(), key=lambda w: w.name.lower())
    return page(
        ctx,
        "webhooks.html",
        section="webhooks",
        title="Outgoing webhooks",
        webhooks=webhooks,
        triggers=WEBHOOK_TRIGGERS,
        methods=WEBHOOK_METHODS,
    )


WEBHOOK_TRIGGERS = get_args(WebhookTriggerName)
WEBHOOK_METHODS = get_args(WebhookMethod)


@routes.add("POST", "/console/webhooks")
def create_webhook(ctx: Ctx) -> Response:
    """Name, URL, method, trigger and an optional data template; headers, auth, filters through the API."""
    from oncall.webhooks import config as webhooks  # on use: webhook delivery loads for the webhook pages only

    writer(ctx)
    form = ctx.request
    data: dict[str, Any] = {
        "name": form.field("name").strip(),
        "url": form.field("url").strip(),
        "http_method": form.field("http_method") or "POST",
        "trigger_type": form.field("trigger_type"),
        "is_webhook_enabled": True,
    }
    if form.field("data").strip():
        data |= {"data": form.field("data"), "forward_all": False}
    request = validated(WebhookIn, data)
    webhook = webhooks.create_webhook(request, store=wiring.store(), clock=wiring.now_clock())
    wiring.config().invalidate()
    return redirect(with_done(f"/console/webhooks/{quote(webhook.id)}", "Webhook created: send a test event."))


@routes.add("GET", "/console/webhooks/<webhook_id>")
def show_webhook(ctx: Ctx, webhook_id: str) -> Response:
    from oncall.webhooks import config as webhooks  # on use: webhook delivery loads for the webhook pages only

    store = wiring.store()
    webhook = webhooks.get_webhook(webhook_id, store)
    log = store.list_webhook_responses(webhook.id, limit=50)
    return page(ctx, "webhook.html", section="webhooks", title=webhook.name, webhook=webhook, log=log)


@routes.add("POST", "/console/webhooks/<webhook_id>/<operation>")
def webhook_operation(ctx: Ctx, webhook_id: str, operation: str) -> Response:
    from oncall.webhooks import config as webhooks  # on use: webhook delivery loads for the webhook pages only

    writer(ctx)
    deps = wiring.delivery_deps(ctx.request.base_url)
    href = f"/console/webhooks/{quote(webhook_id)}"
    if operation == "test":
        sent = webhooks.send_test_event(webhook_id, ctx.actor, deps)
    elif operation == "resend":
        response_id = ctx.request.field("response_id")
        if not response_id or len(response_id) > 128:
            raise NotFoundError("No such delivery.")
        sent = webhooks.resend(webhook_id, response_id, deps)
    else:
        raise NotFoundError("No such operation.")
    return redirect(with_done(href, f"Sent: {sent.outcome}{f' ({sent.status_code})' if sent.status_code else ''}."))
