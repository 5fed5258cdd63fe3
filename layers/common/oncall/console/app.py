"""The console's pages and form actions. Every state change calls the same domain functions as the API
(oncall.groups.actions, oncall.configuration.changes, oncall.monitoring.maintenance, …); this module only reads
forms, checks the session, the CSRF token and the role, and renders.

Pages: `/` (→ alert groups), `/console/signin`, `/console/alert_groups[/<id>]`, `/console/link/<token>`
(a notification's signed action link, no sign-in), `/console/integrations[/<id>]`, `/console/static/<file>`.
"""

from __future__ import annotations

import hmac
import importlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlencode

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from oncall import wiring
from oncall.access.tokens import BOOTSTRAP_TOKEN_ID, authenticate, require_role
from oncall.console import render as pages
from oncall.console import sessions
from oncall.console.http import Request, Response, Routes, json_reply, local_path, redirect
from oncall.groups import action_pages, actions
from oncall.groups.action_links import ACTION_LABELS
from oncall.models import Actor, ActorKind, AlertGroup, ApiToken, ApiTokenRole
from oncall.platform import ids
from oncall.platform.aws import AWS_ERRORS
from oncall.platform.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    OnCallError,
    PermissionDeniedError,
    ServiceUnavailableError,
    ValidationError,
)
from oncall.platform.http import status_for
from oncall.platform.settings import get_settings
from oncall.templates.labels import parse_label_filter

logger = Logger(child=True)
metrics = Metrics()  # shares the handler's buffer (one per namespace); the handler's log_metrics flushes it
routes = Routes()

SECTIONS = (
    ("alert_groups", "Alert groups", "/console/alert_groups"),
    ("integrations", "Integrations", "/console/integrations"),
    ("chains", "Escalation chains", "/console/escalation_chains"),
    ("schedules", "Schedules", "/console/schedules"),
    ("users", "Users", "/console/users"),
    ("webhooks", "Webhooks", "/console/webhooks"),
)
STATES = ("firing", "acknowledged", "silenced", "resolved")
SINCE = {
    "": None,
    "1h": timedelta(hours=1),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
SINCE_OPTIONS = (
    ("", "Any time"),
    ("1h", "Last hour"),
    ("24h", "Last 24 hours"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
)
SILENCE_OPTIONS = (
    (1800, "30 minutes"),
    (3600, "1 hour"),
    (7200, "2 hours"),
    (21600, "6 hours"),
    (43200, "12 hours"),
    (86400, "24 hours"),
    (-1, "Forever"),
)
FLASH_MAX = 200  # the `done` message after an action (a query parameter: shown escaped and short)
LIST_LIMIT = 200  # groups a list page shows (newest first)
ALERTS_SHOWN = 50
GROUP_ACTIONS = ("acknowledge", "unacknowledge", "resolve", "unresolve", "silence", "unsilence", "attach", "unattach")


# ------------------------------------------------------------------------------------------ context
@dataclass
class Ctx:
    """One request: who is signed in (None on public pages) and the session's CSRF token."""

    request: Request
    token: ApiToken | None = None
    session: sessions.Session | None = None
    csrf: str = ""

    @property
    def can_write(self) -> bool:
        return self.token is not None and self.token.role in (ApiTokenRole.EDITOR, ApiTokenRole.ADMIN)

    @property
    def actor(self) -> Actor:
        """Who acts: the token's user, or the token itself (as through the API)."""
        assert self.token is not None
        if self.token.user_id:
            return Actor(kind=ActorKind.USER, user_id=self.token.user_id, name=self.token.name)
        return Actor(kind=ActorKind.API, name=f"API token '{self.token.name}' (console)")


def _secret(name: str) -> str:
    return wiring.secret(name) if name else ""


def session_codec() -> sessions.Sessions:
    return sessions.Sessions(sessions.derive_key(_secret(get_settings().action_link_parameter)), wiring.now_clock())


def _bootstrap_token() -> str | None:
    return _secret(get_settings().admin_token_parameter) or None


def _token_of(session: sessions.Session) -> ApiToken:
    """The session's token as it is now: revoked tokens end their sessions; role changes apply at once."""
    stored = wiring.store().get_api_token(session.digest)
    if stored is not None and stored.id == session.token_id:
        return stored
    bootstrap = _bootstrap_token()
    if (
        session.token_id == BOOTSTRAP_TOKEN_ID
        and bootstrap
        and hmac.compare_digest(ids.token_digest(bootstrap), session.digest)
    ):
        return authenticate(bootstrap, store=wiring.store(), bootstrap_token=lambda: bootstrap)
    raise sessions.SessionError("Your token was revoked; please sign in again.")


def _signed_in(request: Request) -> Ctx:
    codec = session_codec()
    session = codec.read(sessions.read_cookie(request.event))
    token = _token_of(session)
    return Ctx(request, token, session, codec.csrf_token(session))


def writer(ctx: Ctx) -> None:
    """Every change needs an editor token and this session's CSRF token (checked before anything is read)."""
    assert ctx.token is not None and ctx.session is not None
    session_codec().check_csrf(ctx.session, ctx.request.field("csrf"))
    require_role(ctx.token, ApiTokenRole.EDITOR)


def page(
    ctx: Ctx, template: str, *, status: int = 200, section: str = "", headers: dict | None = None, **values
) -> Response:
    user = None
    if ctx.token is not None:
        user = {"name": ctx.token.name, "role": ctx.token.role.value}
    body = pages.render(
        template,
        session_user=user,
        sections=SECTIONS,
        section=section,
        csrf=ctx.csrf,
        can_write=ctx.can_write,
        flash=ctx.request.arg("done")[:FLASH_MAX],
        silence_options=SILENCE_OPTIONS,
        group_href=group_href,
        **values,
    )
    return Response(status, body, headers={**pages.PAGE_HEADERS, **(headers or {})})


def group_href(group_id: str) -> str:
    return f"/console/alert_groups/{quote(group_id, safe='')}"


# ------------------------------------------------------------------------------------------ dispatch
def handle(event: dict[str, Any]) -> dict[str, Any]:
    try:
        settings = get_settings()
        request = Request.from_event(event, settings.public_base_url, settings.ingest_base_url)
    except ValueError:  # a query string with too many fields
        return Response(HTTPStatus.BAD_REQUEST, "Bad request.", "text/plain; charset=utf-8").as_result()
    return dispatch(request).as_result()


# Configuration pages register their routes when first needed: the alert-group pages (what a responder opens
# at 3 a.m.) do not pay for importing the configuration code on a cold start.
_LAZY_PAGES = (
    ("/console/integrations", "oncall.console.integration_pages"),
    ("/console/escalation_chains", "oncall.console.more_pages"),
    ("/console/schedules", "oncall.console.more_pages"),
    ("/console/users", "oncall.console.more_pages"),
    ("/console/webhooks", "oncall.console.more_pages"),
)


def _load_pages(path: str) -> None:
    for prefix, module in _LAZY_PAGES:
        if path == prefix or path.startswith(prefix + "/"):
            importlib.import_module(module)


def dispatch(request: Request) -> Response:
    _load_pages(request.path)
    matched = routes.match(request.method, request.path)
    if matched is None:
        return _error_page(Ctx(request), HTTPStatus.NOT_FOUND, "Not found", "There is no such page.")
    if matched is False:
        return _error_page(Ctx(request), HTTPStatus.METHOD_NOT_ALLOWED, "Method not allowed", "Use the page's forms.")
    handler, parameters = matched
    public = getattr(handler, "public", False)
    ctx = Ctx(request)
    try:
        if not public:
            ctx = _signed_in(request)
        return handler(ctx, **parameters)
    except AuthenticationError as error:
        if request.method == "GET" and not request.wants_json() and request.path.rstrip("/") != "/console/signin":
            return redirect(f"/console/signin?{urlencode({'next': _here(request)})}")
        return _error_page(ctx, HTTPStatus.UNAUTHORIZED, "Please sign in", error.detail, back="/console/signin")
    except (ServiceUnavailableError, *AWS_ERRORS):  # before OnCallError: a failed AWS request is not a refusal
        logger.exception("console request failed on AWS")
        return _error_page(ctx, HTTPStatus.SERVICE_UNAVAILABLE, "Try again", "The service is temporarily unavailable.")
    except OnCallError as error:
        status = HTTPStatus.BAD_REQUEST if isinstance(error, ConflictError) else status_for(error)
        logger.info("console request refused", extra={"status": int(status), "detail": error.detail})
        if request.wants_json():
            return json_reply({"detail": error.detail}, status)
        title = {403: "Not allowed", 404: "Not found", 429: "Slow down"}.get(int(status), "That did not work")
        return _error_page(ctx, status, title, error.detail, back=_referer_back(request), headers=error.headers())
    except (UnicodeDecodeError, ValueError):  # a body that is not UTF-8, or a form with too many fields
        return _error_page(ctx, HTTPStatus.BAD_REQUEST, "That did not work", "The form could not be read.")
    except Exception:  # a page, never a stack trace; the log has it
        logger.exception("console request failed")
        return _error_page(ctx, HTTPStatus.INTERNAL_SERVER_ERROR, "Something went wrong", "The error was logged.")


def _here(request: Request) -> str:
    query = request.event.get("rawQueryString") or ""
    return request.path + (f"?{query}" if query else "")


def _referer_back(request: Request) -> str:
    if request.method == "POST" and request.path.startswith("/console/"):
        parts = request.path.rstrip("/").split("/")
        return "/".join(parts[:4]) if len(parts) > 4 else request.path
    return ""


def _error_page(
    ctx: Ctx, status: int, heading: str, detail: str, *, back: str = "", headers: dict | None = None
) -> Response:
    return page(
        ctx, "error.html", status=status, title=heading, heading=heading, detail=detail, back=back, headers=headers
    )


def public(handler):
    handler.public = True
    return handler


# ------------------------------------------------------------------------------------------ sign-in
@routes.add("GET", "/")
@public
def root(ctx: Ctx) -> Response:
    return redirect("/console/alert_groups")


@routes.add("GET", "/console")
@public
def console_root(ctx: Ctx) -> Response:
    return redirect("/console/alert_groups")


@routes.add("GET", "/console/signin")
@public
def signin_form(ctx: Ctx, *, error: str = "", status: int = 200) -> Response:
    wanted = ctx.request.field("next") if ctx.request.method == "POST" else ctx.request.arg("next")
    next_path = local_path(wanted, "/console/alert_groups")
    return page(
        ctx,
        "signin.html",
        status=status,
        title="Sign in",
        signin_csrf=session_codec().signin_csrf_token(),
        next=next_path,
        error=error,
    )


@routes.add("POST", "/console/signin")
@public
def signin(ctx: Ctx) -> Response:
    codec = session_codec()
    codec.check_signin_csrf(ctx.request.field("csrf"))
    sessions.check_signin_rate(ctx.request.client, store=wiring.store(), clock=wiring.now_clock())
    try:
        token = authenticate(ctx.request.field("token"), store=wiring.store(), bootstrap_token=_bootstrap_token)
    except AuthenticationError:
        metrics.add_metric(name="ConsoleSignInsRefused", unit=MetricUnit.Count, value=1)
        return signin_form(ctx, error="That token is not valid.", status=HTTPStatus.UNAUTHORIZED)
    metrics.add_metric(name="ConsoleSignIns", unit=MetricUnit.Count, value=1)
    _, cookie = codec.issue(token.id, token.digest)
    logger.info("console sign-in", extra={"token_id": token.id})
    target = local_path(ctx.request.field("next"), "/console/alert_groups")
    return redirect(target, {"Set-Cookie": sessions.cookie_header(cookie, secure=ctx.request.secure)})


@routes.add("POST", "/console/signout")
def signout(ctx: Ctx) -> Response:
    assert ctx.session is not None
    session_codec().check_csrf(ctx.session, ctx.request.field("csrf"))
    return redirect("/console/signin", {"Set-Cookie": sessions.clear_cookie_header(secure=ctx.request.secure)})


@routes.add("GET", "/console/static/<name>")
@public
def static(ctx: Ctx, name: str) -> Response:
    found = pages.static_files().get(name)
    if found is None:
        raise NotFoundError("No such file.")
    data, digest = found
    fresh = ctx.request.arg("v") == digest
    cache = "public, max-age=31536000, immutable" if fresh else "no-cache"
    suffix = name[name.rfind(".") :]
    return Response(
        200, data, pages.STATIC_TYPES[suffix], {"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
    )


# ------------------------------------------------------------------------------------------ alert groups
@dataclass(frozen=True)
class GroupFilters:
    state: str = ""
    integration: str = ""
    team: str = ""
    label: str = ""
    since: str = ""

    @classmethod
    def from_request(cls, request: Request) -> GroupFilters:
        state = request.arg("state")
        since = request.arg("since")
        return cls(
            state=state if state in STATES else "",
            integration=request.arg("integration"),
            team=request.arg("team"),
            label=request.arg("label"),
            since=since if since in SINCE else "",
        )


def filter_groups(
    groups: list[AlertGroup], filters: GroupFilters, teams: dict[str, str | None], now: datetime
) -> list[AlertGroup]:
    label = parse_label_filter(filters.label) if filters.label else None
    if filters.label and label is None:
        raise ValidationError("Filter labels as key:value.")
    window = SINCE.get(filters.since)
    since = now - window if window else None
    return [
        g
        for g in groups
        if (not filters.state or g.state.value == filters.state)
        and (not filters.integration or g.integration_id == filters.integration)
        and (not filters.team or teams.get(g.integration_id) == filters.team)
        and (label is None or g.labels.get(label[0]) == label[1])
        and (since is None or g.started_at >= since)
    ]


def group_rows(groups: list[AlertGroup], names: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "id": g.id,
            "number": g.number,
            "title": g.title,
            "state": g.state.value,
            "integration": names.get(g.integration_id, "(deleted integration)"),
            "alerts_count": g.alerts_count,
            "started_at": g.started_at,
            "started_iso": g.started_at.isoformat(),
            "labels": g.labels,
        }
        for g in groups
    ]


@routes.add("GET", "/console/alert_groups")
def list_groups(ctx: Ctx) -> Response:
    store = wiring.store()
    filters = GroupFilters.from_request(ctx.request)
    integrations = sorted(store.list_integrations(), key=lambda i: i.name.lower())
    teams = {i.id: i.team_id for i in integrations}
    now = wiring.now_clock().now()
    shown = filter_groups(store.list_groups(), filters, teams, now)
    truncated = len(shown) > LIST_LIMIT
    return page(
        ctx,
        "groups.html",
        section="alert_groups",
        title="Alert groups",
        groups=group_rows(shown[:LIST_LIMIT], {i.id: i.name for i in integrations}),
        truncated=truncated,
        filters=filters,
        states=STATES,
        integrations=integrations,
        teams=sorted(store.list_teams(), key=lambda t: t.name.lower()),
        since_options=SINCE_OPTIONS,
        now=now,
        back=_here(ctx.request),
    )


def _delay(text: str) -> int:
    try:
        delay = int(text)
    except ValueError as error:
        raise ValidationError("Choose how long to silence for.") from error
    if delay not in {seconds for seconds, _ in SILENCE_OPTIONS}:
        raise ValidationError("Choose how long to silence for.")
    return delay


def run_group_action(group_id: str, action: str, actor: Actor, request: Request) -> AlertGroup:
    """One console action on one group, through the same domain functions as the API's endpoints."""
    deps = wiring.action_deps()
    if action == "acknowledge":
        return actions.acknowledge(group_id, actor, deps)
    if action == "unacknowledge":
        return actions.unacknowledge(group_id, actor, deps)
    if action == "resolve":
        return actions.resolve(group_id, actor, deps)
    if action == "unresolve":
        return actions.unresolve(group_id, actor, deps)
    if action == "silence":
        return actions.silence(group_id, actor, deps, _delay(request.field("delay")))
    if action == "unsilence":
        return actions.unsilence(group_id, actor, deps)
    if action == "attach":
        root = request.field("root_alert_group_id").strip()
        if not root or len(root) > 128:
            raise ValidationError("Choose the alert group to attach to.")
        return actions.attach(group_id, root, actor, deps)
    if action == "unattach":
        return actions.unattach(group_id, actor, deps)
    raise NotFoundError("No such action.")


_DONE = {
    "acknowledge": "Acknowledged",
    "unacknowledge": "Unacknowledged",
    "resolve": "Resolved",
    "unresolve": "Unresolved",
    "silence": "Silenced",
    "unsilence": "Unsilenced",
    "attach": "Attached",
    "unattach": "Unattached",
}


@routes.add("POST", "/console/alert_groups/bulk")
def bulk_action(ctx: Ctx) -> Response:
    writer(ctx)
    action = ctx.request.field("action")
    if action not in ("acknowledge", "resolve", "silence"):
        raise ValidationError("Choose acknowledge, resolve or silence.")
    group_ids = [g for g in ctx.request.fields("id") if g and len(g) <= 128][:LIST_LIMIT]
    if not group_ids:
        raise ValidationError("Select at least one alert group.")
    done, skipped = 0, []
    for group_id in group_ids:
        try:
            run_group_action(group_id, action, ctx.actor, ctx.request)
            done += 1
        except (ConflictError, NotFoundError) as error:
            skipped.append(error.detail)
    metrics.add_metric(name="ConsoleGroupActions", unit=MetricUnit.Count, value=done)
    message = f"{_DONE[action]} {done} alert group{'' if done == 1 else 's'}"
    if skipped:
        message += f"; {len(skipped)} skipped ({skipped[0]})"
    back = local_path(ctx.request.field("back"), "/console/alert_groups")
    return redirect(with_done(back, message))


def with_done(path: str, message: str) -> str:
    """`path` with the message to show (`?done=`), keeping its other parameters and its #fragment last."""
    path, hash_mark, fragment = path.partition("#")
    base, _, query = path.partition("?")
    kept = "&".join(p for p in query.split("&") if p and not p.startswith("done="))
    return f"{base}?{kept + '&' if kept else ''}{urlencode({'done': message})}{hash_mark}{fragment}"


@routes.add("POST", "/console/alert_groups/<group_id>/<action>")
def group_action(ctx: Ctx, group_id: str, action: str) -> Response:
    writer(ctx)
    if action not in GROUP_ACTIONS:
        raise NotFoundError("No such action.")
    run_group_action(group_id, action, ctx.actor, ctx.request)
    metrics.add_metric(name="ConsoleGroupActions", unit=MetricUnit.Count, value=1)
    return redirect(with_done(group_href(group_id), f"{_DONE[action]}."))


def group_view(group_id: str, base_url: str) -> dict[str, Any]:
    """What the group page shows: the web-rendered title and message (the integration's templates), the
    alerts (newest first, payloads), labels and the timeline."""
    # On use: rendering (with every integration type's defaults) is the group pages' only.
    from oncall.templates.rendering import RenderedAlert, render_alert

    store = wiring.store()
    group = store.get_group(group_id)
    if group is None:
        raise NotFoundError("This alert group does not exist (any more).")
    integration = wiring.config().integration(group.integration_id)
    alerts = sorted(store.list_alerts(group.id), key=lambda a: (a.received_at, a.id), reverse=True)
    last = next((a for a in alerts if a.id == group.last_alert_id), alerts[0] if alerts else None)
    if integration is not None and last is not None:
        rendered = render_alert(integration, group, last, surface="web", base_url=base_url)
    else:
        rendered = RenderedAlert(title=group.title, message="")
    root_label = ""
    if group.root_group_id:
        root = store.get_group(group.root_group_id)
        root_label = f"#{root.number} {root.title}" if root else group.root_group_id
    return {
        "group": group,
        "rendered": rendered,
        "integration_name": integration.name if integration else "(deleted integration)",
        "alerts": alerts[:ALERTS_SHOWN],
        "alerts_truncated": len(alerts) > ALERTS_SHOWN,
        "timeline": store.list_timeline(group.id),
        "started_iso": group.started_at.isoformat(),
        "root_label": root_label,
        "title": f"#{group.number} {rendered.title}",
    }


def _attach_candidates(group: AlertGroup) -> list[AlertGroup]:
    if group.dependent_ids or group.resolved:
        return []
    return [
        g
        for g in wiring.store().list_groups()[:LIST_LIMIT]
        if g.id != group.id and not g.resolved and g.root_group_id is None
    ][:50]


@routes.add("GET", "/console/alert_groups/<group_id>")
def show_group(ctx: Ctx, group_id: str) -> Response:
    view = group_view(group_id, ctx.request.base_url)
    candidates = _attach_candidates(view["group"]) if ctx.can_write else []
    return page(ctx, "group.html", section="alert_groups", link=None, attach_candidates=candidates, **view)


# ------------------------------------------------------------------------------------------ action links
# The states in which a link's action does something (the domain refuses it otherwise; the page says so).
_LINK_APPLIES = {
    "acknowledge": ("firing", "silenced"),
    "resolve": ("firing", "silenced", "acknowledged"),
    "silence_1h": ("firing",),
    "acknowledge_again": ("acknowledged",),
}
LINK_HEADERS = {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}


def _verified_link(token: str):
    links = wiring.action_links()
    if links is None:
        raise PermissionDeniedError("Action links are not configured on this deployment.")
    return links.verify(token)


@routes.add("GET", "/console/link/<token>")
@public
def link_page(ctx: Ctx, token: str) -> Response:
    """The group page, authorized by a notification's signed link alone: it shows the group and offers
    exactly the link's action (GET never acts: link previews and mail scanners fetch links)."""
    link = _verified_link(token)
    view = group_view(link.group_id, ctx.request.base_url)
    state = view["group"].state.value
    return page(
        ctx,
        "group.html",
        headers=LINK_HEADERS,
        link=link,
        link_token=token,
        link_label=ACTION_LABELS[link.action],
        link_applies=state in _LINK_APPLIES[link.action],
        acting_as=action_pages.actor_for(link, wiring.store()).label,
        attach_candidates=[],
        **view,
    )


@routes.add("POST", "/console/link/<token>")
@public
def link_act(ctx: Ctx, token: str) -> Response:
    """The link's action, as the notified user (the same code as POST /actions/<token>). No CSRF token: the
    signed link is the credential and a cross-site page cannot know it."""
    link = _verified_link(token)
    action_pages.act(link, wiring.action_deps())
    metrics.add_metric(name="ActionLinksUsed", unit=MetricUnit.Count, value=1)
    done = action_pages._DONE[link.action]  # noqa: SLF001 - the same words as the action-link pages
    return redirect(with_done(f"/console/link/{quote(token, safe='')}", f"{done}."), LINK_HEADERS)
