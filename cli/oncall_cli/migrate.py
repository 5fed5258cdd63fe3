"""`oncall migrate`: read a Grafana OnCall instance through its public API v1 and express its configuration in
this service's configuration-as-code model, so the plan/apply machinery (config_as_code.py, config_apply.py)
does the rest.

Three parts:
- `OnCallV1Source` reads every list (page by page; 429 waits what `RateLimit-Reset` says, 5xx and network
  errors are retried with backoff; a refused token or an unreachable host is a `SourceError`).
- `map_source` (pure) turns what was read into a `Config`, each integration with the token of its `link`, and
  a `Report` of what cannot come across, each item with the nearest equivalent here.
- `fit_to_destination` (pure) matches the source's users to the destination's (e-mail, then username),
  keeps the previous run's names (`MigrationState`) so a renamed source object is renamed here rather than
  duplicated, and checks integration tokens against the destination before anything is written.

Objects are matched by source id through the state file (`.oncall-migrate.json`, `--state`): config as code
matches by name, so the state only has to say "source id X was called N last time" to turn a source rename
into `renamed_from: N`. Without the file (another machine, say) matching falls back to names, so nothing is
duplicated unless the source renamed something since; an integration's token then also guards against
taking over an unrelated integration here (the plan reports the clash).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests

from oncall.intake.types.catalog import INTEGRATION_TYPES
from oncall_cli.config_as_code import (
    BEHAVIOUR_TEMPLATES,
    SURFACE_TEMPLATES,
    ChainSpec,
    Config,
    IntegrationSpec,
    RouteSpec,
    RuleSpec,
    ScheduleSpec,
    ShiftSpec,
    StepSpec,
    TeamSpec,
    UserSpec,
    WebhookSpec,
)

USER_AGENT = "oncall-migrate/0.1"
THIS_SERVICE = "Serverless OnCall"  # the organization name this service's /api/v1/organizations shows
PAGE_SIZE = 100
MAX_ATTEMPTS = 6  # per request: the first and five retries
MAX_WAIT_SECONDS = 60.0
LINK_PATH = re.compile(r"/integrations/v1/(?P<slug>[A-Za-z0-9_]+)/(?P<token>[A-Za-z0-9]+)/?$")
WEBHOOK_MASK = "****************"

# What the migrator reads, in order (resource → the name used in messages).
RESOURCES = (
    "teams",
    "users",
    "personal_notification_rules",
    "schedules",
    "on_call_shifts",
    "webhooks",
    "escalation_chains",
    "escalation_policies",
    "integrations",
    "routes",
)


# ------------------------------------------------------------------------------------------ reading
class SourceError(Exception):
    """The source could not be read; the message says why and what to check."""


@dataclass
class SourceData:
    """Every list the migrator reads, as the source's API returned it."""

    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    base_url: str = ""

    def __getitem__(self, resource: str) -> list[dict[str, Any]]:
        return self.lists.get(resource, [])


def api_base(url: str) -> str:
    """`https://oncall.example.com`, `…/api/v1` and `…/api/v1/` all mean the same API."""
    base = url.strip().rstrip("/")
    if not urlsplit(base).scheme or not urlsplit(base).netloc:
        raise SourceError(f"--from-url {url!r} is not an http(s) URL (example: https://oncall.example.com)")
    return base if base.endswith("/api/v1") else f"{base}/api/v1"


class OnCallV1Source:
    def __init__(
        self, url: str, token: str, *, timeout: float = 20, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.base = api_base(url)
        self.sleep = sleep
        self.timeout = timeout
        self.waited: list[float] = []  # what it slept, for the summary (and tests)
        self._session = requests.Session()
        self._session.headers.update({"Authorization": token, "User-Agent": USER_AGENT, "Accept": "application/json"})

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        url = f"{self.base}/{path.strip('/')}/"
        for attempt in range(MAX_ATTEMPTS):
            last = attempt == MAX_ATTEMPTS - 1
            try:
                response = self._session.get(url, params=params, timeout=self.timeout)
            except requests.RequestException as error:
                if last:
                    raise SourceError(
                        f"Cannot reach the source {self.base} ({type(error).__name__}): check --from-url and "
                        "the network."
                    ) from error
                self._wait(2.0**attempt)
                continue
            status = response.status_code
            if status == 429 and not last:
                self._wait(_reset_seconds(response, 2.0**attempt))
                continue
            if status >= 500 and not last:
                self._wait(2.0**attempt)
                continue
            if status in (401, 403):
                raise SourceError(
                    f"The source refused the token (HTTP {status} on /{path}/): check --from-token (an OnCall API "
                    "token from Settings → API tokens, of a user who can read the whole configuration)."
                )
            if status == 404 and path == "integrations":
                raise SourceError(f"{url} is not an OnCall public API (HTTP 404): check --from-url.")
            if status >= 400:
                raise SourceError(f"The source answered HTTP {status} on /{path}/: {response.text[:200]}")
            try:
                return response.json()
            except ValueError:
                raise SourceError(f"{url} did not answer with JSON: is {self.base} an OnCall API?") from None
        raise AssertionError("unreachable")

    def _wait(self, seconds: float) -> None:
        seconds = min(max(seconds, 0.0), MAX_WAIT_SECONDS)
        self.waited.append(seconds)
        self.sleep(seconds)

    def list_all(self, resource: str) -> list[dict[str, Any]]:
        """Every page, by page number (the `next` links carry the source's own idea of its host, which a
        proxy may have changed)."""
        results: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.get(resource, {"page": page, "perpage": PAGE_SIZE})
            if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                raise SourceError(f"/{resource}/ did not answer with a page of results: is {self.base} an OnCall API?")
            results.extend(body["results"])
            total_pages = body.get("total_pages")
            if not body.get("next") or (isinstance(total_pages, int) and page >= total_pages):
                return results
            page += 1

    def is_this_service(self) -> bool:
        """Whether the source is another deployment of this service (its one organization says so): then
        its own export is exact (layers, heartbeats, options OnCall has not) and is read instead."""
        body = self.get("organizations")
        results = body.get("results") if isinstance(body, dict) else None
        return bool(results) and isinstance(results[0], dict) and results[0].get("name") == THIS_SERVICE

    def read(self, progress: Callable[[str], None] | None = None) -> SourceData:
        data = SourceData(base_url=self.base.removesuffix("/api/v1"))
        for resource in RESOURCES:
            if progress:
                progress(resource)
            data.lists[resource] = self.list_all(resource)
        return data


def _reset_seconds(response: requests.Response, default: float) -> float:
    for header in ("RateLimit-Reset", "Retry-After"):
        value = response.headers.get(header)
        if value:
            try:
                return float(value)
            except ValueError:
                continue
    return default


# ------------------------------------------------------------------------------------------ the report
@dataclass(frozen=True)
class Gap:
    """Something that could not come across exactly."""

    what: str  # 'integration "Prometheus"'
    detail: str  # what is lost or changed
    instead: str = ""  # the nearest equivalent here

    def to_json(self) -> dict[str, str]:
        return {"what": self.what, "detail": self.detail, "instead": self.instead}


@dataclass
class Report:
    gaps: list[Gap] = field(default_factory=list)
    # integration name → (its path under the base URL, its heartbeat path or None)
    urls: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    skipped_users: list[str] = field(default_factory=list)

    def add(self, what: str, detail: str, instead: str = "") -> None:
        gap = Gap(what, detail, instead)
        if gap not in self.gaps:
            self.gaps.append(gap)


CHATOPS_INSTEAD = {
    "slack": "a notify_channel step or a user contact with an Apprise slack:// URL (or a webhook to Slack)",
    "telegram": "a notify_channel step or a user contact with an Apprise tgram:// URL",
    "msteams": "a notify_channel step or a user contact with an Apprise workflows:// (or msteams://) URL",
}
RULE_CONTACTS = {
    "notify_by_slack": ("Slack direct messages", "a contact with an Apprise slack:// URL, and a notify rule on it"),
    "notify_by_telegram": ("Telegram messages", "a contact with an Apprise tgram://<bot token>/<chat id> URL"),
    "notify_by_msteams": ("MS Teams messages", "a contact with an Apprise workflows:// URL"),
    "notify_by_mobile_app": ("mobile-app push", "a contact with an Apprise ntfy:// or pover:// (Pushover) URL"),
    "notify_by_mobile_app_critical": ("mobile-app critical push", "an ntfy:// contact with priority=max"),
    "notify_by_phone_call": ("phone calls", "a contact sns-sms://<E.164 number> (SMS through Amazon SNS)"),
    "notify_by_sms": ("SMS", "a contact sns-sms://<E.164 number> (OnCall's API does not show phone numbers)"),
}
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


# ------------------------------------------------------------------------------------------ mapping
@dataclass
class Migration:
    config: Config
    report: Report
    # kind section → source id → name in the config (what the state file remembers)
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    # username → the e-mail it was matched by (source users only)
    emails: dict[str, str] = field(default_factory=dict)
    # A source of this service (a deployment, an export file) whose secrets are masked: where each masked value
    # is, and how to get them in clear. Such a migration is refused at the plan, before any write.
    masked: list[str] = field(default_factory=list)
    masked_fix: str = ""


def _unique(name: str, taken: set[str], qualifier: str) -> str:
    candidate = name if name not in taken else f"{name} ({qualifier})"
    n = 2
    while candidate in taken:
        candidate, n = f"{name} ({qualifier} {n})", n + 1
    taken.add(candidate)
    return candidate


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def token_of(link: str | None) -> tuple[str, str] | None:
    """(url slug, token) of an integration link, or None."""
    match = LINK_PATH.search(urlsplit(link or "").path)
    return (match.group("slug"), match.group("token")) if match else None


def map_source(data: SourceData, *, now: datetime | None = None) -> Migration:
    """The source's configuration as a `Config` (names, not ids) and what could not come across. Pure."""
    now = now or datetime.now(UTC)
    report = Report()
    names: dict[str, dict[str, str]] = {}

    def named(section: str, objects: list[dict[str, Any]], key: str = "name") -> dict[str, str]:
        taken: set[str] = set()
        mapping = {}
        for o in objects:
            base = str(o.get(key) or o["id"])
            mapping[o["id"]] = _unique(base, taken, str(o.get("team_id") or o["id"]))
        names[section] = mapping
        return mapping

    team_names = named("teams", data["teams"])
    user_names = named("users", data["users"], key="username")
    schedule_names = named("schedules", data["schedules"])
    webhook_names = named("webhooks", data["webhooks"])
    chain_names = named("escalation_chains", data["escalation_chains"])

    teams = [TeamSpec(name=team_names[t["id"]], email=t.get("email") or None) for t in data["teams"]]
    users, emails = _users(data, user_names, team_names, report)
    schedules = _schedules(data, schedule_names, user_names, team_names, report, now)
    webhooks, webhook_skip = _webhooks(data, webhook_names, team_names, report)
    integrations, integration_names = _integrations(data, chain_names, team_names, report)
    names["integrations"] = integration_names
    for webhook in webhooks:  # filters name integrations, known only now
        webhook.integration_filter = [
            integration_names[i] for i in webhook.integration_filter if i in integration_names
        ]
    chains = _chains(data, chain_names, user_names, schedule_names, team_names, webhook_names, webhook_skip, report)
    for name in list(names["webhooks"].values()):
        if name in webhook_skip:
            names["webhooks"] = {k: v for k, v in names["webhooks"].items() if v != name}
    config = Config(
        teams=teams,
        users=users,
        schedules=schedules,
        webhooks=webhooks,
        escalation_chains=chains,
        integrations=integrations,
    )
    return Migration(config=config, report=report, names=names, emails=emails)


def _users(
    data: SourceData, user_names: dict[str, str], team_names: dict[str, str], report: Report
) -> tuple[list[UserSpec], dict[str, str]]:
    rules_of: dict[str, list[dict[str, Any]]] = {}
    for rule in data["personal_notification_rules"]:
        rules_of.setdefault(rule.get("user_id"), []).append(rule)
    users, emails = [], {}
    for u in data["users"]:
        username = user_names[u["id"]]
        email = u.get("email") or None
        contacts = {"email": f"ses://{email}"} if email else {}
        default_rules: list[RuleSpec] = []
        important_rules: list[RuleSpec] = []
        for rule in sorted(rules_of.get(u["id"], []), key=lambda r: (bool(r.get("important")), r.get("position", 0))):
            target = important_rules if rule.get("important") else default_rules
            kind = rule.get("type")
            if kind == "wait":
                seconds = max(60, min(int(rule.get("duration") or 300), 86_400))
                target.append(RuleSpec(type="wait", duration=seconds))
            elif kind == "notify_by_email" and email:
                target.append(RuleSpec(type="notify", contact="email"))
            else:
                lost, instead = RULE_CONTACTS.get(kind, (f"{kind} rules", "a contact with an Apprise URL"))
                report.add(f'user "{username}"', f"notification rule {kind} ({lost}) not carried", instead)
        for rules in (default_rules, important_rules):
            while rules and rules[-1].type == "wait":  # a trailing wait notifies nobody
                rules.pop()
            while rules and rules[0].type == "wait" and not any(r.type == "notify" for r in rules):
                rules.pop(0)
        if u.get("slack"):
            report.add(f'user "{username}"', "Slack identity not carried", CHATOPS_INSTEAD["slack"])
        if email:
            emails[username] = email
        users.append(
            UserSpec(
                username=username,
                name=u.get("name") or "",
                email=email,
                timezone=_zone(u.get("timezone")).key,
                teams=[team_names[t] for t in u.get("teams") or [] if t in team_names],
                contacts=contacts,
                default_rules=default_rules[:20],
                important_rules=important_rules[:20],
            )
        )
    return users, emails


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(zone).replace(tzinfo=None)


def _schedules(
    data: SourceData,
    schedule_names: dict[str, str],
    user_names: dict[str, str],
    team_names: dict[str, str],
    report: Report,
    now: datetime,
) -> list[ScheduleSpec]:
    shifts = {s["id"]: s for s in data["on_call_shifts"]}
    result = []
    for s in data["schedules"]:
        name = schedule_names[s["id"]]
        what = f'schedule "{name}"'
        zone = _zone(s.get("time_zone"))
        spec = ScheduleSpec(name=name, time_zone=zone.key, team=team_names.get(s.get("team_id") or ""))
        if s.get("type") == "ical":
            spec.ical_url = s.get("ical_url_primary") or None
            if s.get("ical_url_overrides"):
                report.add(what, "the overrides iCal feed is not carried (one feed per schedule here)", "overrides")
            result.append(spec)
            continue
        mine = [shifts[i] for i in s.get("shifts") or [] if i in shifts]
        mine += [x for x in data["on_call_shifts"] if x.get("schedule") == s["id"] and x not in mine]
        if s.get("type") == "web" and not mine:
            report.add(what, "a web schedule whose shifts the API does not list: no layers", "layers or overrides")
        for shift in sorted(mine, key=lambda x: (x.get("level") or 0, x.get("start") or "")):
            _shift_as_is(shift, spec, user_names, report, what, now)
        if s.get("slack"):
            report.add(what, "Slack shift notifications are not carried", CHATOPS_INSTEAD["slack"])
        result.append(spec)
    return result


_SHIFT_TYPES = ("single_event", "recurrent_event", "rolling_users", "override")


def _shift_as_is(
    shift: dict[str, Any], spec: ScheduleSpec, user_names: dict[str, str], report: Report, what: str, now: datetime
) -> None:
    """The shift as this service's on_call_shifts hold it (the same model as OnCall's): users by name."""
    label = f'{what} shift "{shift.get("name") or shift["id"]}"'
    kind = shift.get("type")
    start = _parse_time(shift.get("start"))
    if kind not in _SHIFT_TYPES or start is None or not shift.get("duration"):
        report.add(label, f"shift type {kind!r} without a start or duration: not carried", "an on_call_shifts entry")
        return
    zone = _zone(shift.get("time_zone"))
    local = _local(start, zone)
    aware = start if start.tzinfo else start.replace(tzinfo=zone)
    if kind in ("single_event", "override") and aware + timedelta(seconds=int(shift["duration"])) <= now:
        return  # over already
    users = [user_names[u] for u in shift.get("users") or [] if u in user_names]
    groups = [[user_names[u] for u in g if u in user_names] for g in shift.get("rolling_users") or []]
    groups = [g for g in groups if g]
    if (kind == "rolling_users" and not groups) or (kind != "rolling_users" and not users):
        report.add(label, "names no user that was carried: not carried")
        return
    rotation = _parse_time(shift.get("rotation_start"))
    until = _parse_time(shift.get("until"))
    recurring = kind in ("recurrent_event", "rolling_users")
    spec.shifts.append(
        ShiftSpec(
            name=str(shift.get("name") or shift["id"]),
            type=kind,
            start=local,
            duration=max(60, int(shift["duration"])),
            time_zone=shift.get("time_zone") or None,
            level=max(0, int(shift.get("level") or 0)),
            rotation_start=_local(rotation, zone) if rotation else None,
            frequency=(shift.get("frequency") or "weekly") if recurring else None,
            interval=max(1, int(shift.get("interval") or 1)),
            until=_local(until, zone) if until else None,
            week_start=shift.get("week_start") if shift.get("week_start") in _WEEKDAYS else "SU",
            by_day=[d for d in shift.get("by_day") or [] if d in _WEEKDAYS],
            by_month=[m for m in shift.get("by_month") or [] if isinstance(m, int) and 1 <= m <= 12],
            by_monthday=[d for d in shift.get("by_monthday") or [] if isinstance(d, int) and -31 <= d <= 31],
            users=users if kind != "rolling_users" else [],
            rolling_users=groups if kind == "rolling_users" else [],
            start_rotation_from_user_index=max(0, int(shift.get("start_rotation_from_user_index") or 0)),
        )
    )


WEBHOOK_TRIGGERS = set(WebhookSpec.model_fields["trigger_type"].annotation.__args__)  # type: ignore[union-attr]


def _webhooks(
    data: SourceData, webhook_names: dict[str, str], team_names: dict[str, str], report: Report
) -> tuple[list[WebhookSpec], set[str]]:
    result, skipped = [], set()
    for w in data["webhooks"]:
        name = webhook_names[w["id"]]
        what = f'outgoing webhook "{name}"'
        trigger = w.get("trigger_type") or "escalation"
        if trigger not in WEBHOOK_TRIGGERS or not w.get("url"):
            report.add(what, f"trigger {trigger!r} or its URL is not supported here: not carried", "a webhook")
            skipped.add(name)
            continue
        for secret in ("password", "authorization_header"):
            if w.get(secret):
                report.add(
                    what,
                    f"its {secret.replace('_', ' ')} is masked by OnCall's API: not carried",
                    f"set it here: oncall webhooks update {name!r} --{secret.replace('_', '-')} …",
                )
        preset = w.get("preset") if w.get("preset") in ("simple_webhook", "advanced") else None
        result.append(
            WebhookSpec(
                name=name,
                url=w["url"],
                trigger_type=trigger,
                is_webhook_enabled=w.get("is_webhook_enabled") is not False,
                http_method=(w.get("http_method") or "POST").upper(),
                headers=w.get("headers") or None,
                data=w.get("data") or None,
                forward_all=w.get("forward_all") is not False,
                username=w.get("username") or None,
                trigger_template=w.get("trigger_template") or None,
                integration_filter=list(w.get("integration_filter") or []),  # ids until integrations are named
                team=team_names.get(w.get("team") or w.get("team_id") or ""),
                preset=preset,
            )
        )
    return result, skipped


def _chains(
    data: SourceData,
    chain_names: dict[str, str],
    user_names: dict[str, str],
    schedule_names: dict[str, str],
    team_names: dict[str, str],
    webhook_names: dict[str, str],
    webhook_skip: set[str],
    report: Report,
) -> list[ChainSpec]:
    names = _Names(user_names, schedule_names, team_names, webhook_names, webhook_skip)
    steps_of: dict[str, list[dict[str, Any]]] = {}
    for p in data["escalation_policies"]:
        steps_of.setdefault(p.get("escalation_chain_id"), []).append(p)
    result = []
    for c in data["escalation_chains"]:
        name = chain_names[c["id"]]
        steps = []
        for p in sorted(steps_of.get(c["id"], []), key=lambda p: p.get("position", 0)):
            where = f'escalation chain "{name}" step {p.get("position", 0)}'
            step = _step(p, where, report, names)
            if step is not None:
                steps.append(step)
        result.append(ChainSpec(name=name, team=team_names.get(c.get("team_id") or ""), steps=steps))
    return result


@dataclass(frozen=True)
class _Names:
    users: dict[str, str]
    schedules: dict[str, str]
    teams: dict[str, str]
    webhooks: dict[str, str]
    webhooks_skipped: set[str]


def _step(p: dict[str, Any], what: str, report: Report, names: _Names) -> StepSpec | None:
    user_names, schedule_names, team_names = names.users, names.schedules, names.teams
    webhook_names, webhook_skip = names.webhooks, names.webhooks_skipped
    kind = p.get("type")
    important = bool(p.get("important"))
    match kind:
        case "wait":
            return StepSpec(type="wait", duration=max(60, min(int(p.get("duration") or 300), 86_400)))
        case "notify_persons" | "notify_person_next_each_time":
            ids = p.get("persons_to_notify") or p.get("persons_to_notify_next_each_time") or []
            persons = [user_names[u] for u in ids if u in user_names]
            if not persons:
                report.add(what, f"{kind} names no user that was carried: step dropped")
                return None
            return StepSpec(type=kind, persons=persons, important=important)
        case "notify_on_call_from_schedule":
            schedule = schedule_names.get(p.get("notify_on_call_from_schedule") or "")
            if schedule is None:
                report.add(what, "names an unknown schedule: step dropped")
                return None
            return StepSpec(type=kind, schedule=schedule, important=important)
        case "notify_team_members":
            team = team_names.get(p.get("team_to_notify") or "")
            if team is None:
                report.add(what, "names an unknown team: step dropped")
                return None
            return StepSpec(type=kind, team=team, important=important)
        case "trigger_webhook" | "trigger_action":
            webhook = webhook_names.get(p.get("action_to_trigger") or "")
            if webhook is None or webhook in webhook_skip:
                report.add(what, "triggers a webhook that was not carried: step dropped", "a trigger_webhook step")
                return None
            return StepSpec(type="trigger_webhook", webhook=webhook)
        case "resolve" | "repeat_escalation":
            return StepSpec(type=kind)
        case "notify_if_time_from_to":
            return StepSpec(
                type=kind,
                notify_if_time_from=p.get("notify_if_time_from"),
                notify_if_time_to=p.get("notify_if_time_to"),
            )
        case "notify_if_num_alerts_in_window":
            return StepSpec(
                type=kind,
                num_alerts_in_window=max(1, int(p.get("num_alerts_in_window") or 1)),
                num_minutes_in_window=max(1, min(int(p.get("num_minutes_in_window") or 1), 1440)),
            )
        case "notify_user_group":
            report.add(what, "notifies a Slack user group: step dropped", CHATOPS_INSTEAD["slack"])
        case "notify_whole_channel":
            report.add(what, "notifies the whole Slack channel: step dropped", CHATOPS_INSTEAD["slack"])
        case "declare_incident":
            report.add(what, "declares a Grafana Incident (Grafana Cloud only): step dropped", "a trigger_webhook step")
        case _:
            report.add(what, f"step type {kind!r} is unknown here: step dropped")
    return None


def _templates(raw: dict[str, Any] | None, what: str, report: Report) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for name, body in (raw or {}).items():
        if name in BEHAVIOUR_TEMPLATES and (body is None or isinstance(body, str)):
            kept[name] = body
        elif name in SURFACE_TEMPLATES and isinstance(body, dict):
            kept[name] = {a: v for a, v in body.items() if a in SURFACE_TEMPLATES[name]}
        elif body:
            report.add(what, f"template {name} has no equivalent here: not carried")
    return kept


def _integrations(
    data: SourceData, chain_names: dict[str, str], team_names: dict[str, str], report: Report
) -> tuple[list[IntegrationSpec], dict[str, str]]:
    routes_of: dict[str, list[dict[str, Any]]] = {}
    for r in data["routes"]:
        routes_of.setdefault(r.get("integration_id"), []).append(r)
    taken: set[str] = set()
    result, names = [], {}
    for i in data["integrations"]:
        source_type = str(i.get("type") or "")
        base_name = str(i.get("name") or i["id"])
        what = f'integration "{base_name}"'
        link = token_of(i.get("link"))
        kind = source_type.removeprefix("legacy_")
        known = INTEGRATION_TYPES.get(kind)
        if source_type == "direct_paging":
            report.add(what, "direct paging is built in here", "POST /api/v1/escalation/ or `oncall escalation`")
            continue
        if known is None or not known.creatable or link is None:
            report.add(
                what,
                f"type {source_type!r} has no equivalent here{'' if link else ' (or no URL)'}: not carried",
                "a webhook or formatted_webhook integration (senders then change their URL)",
            )
            continue
        slug, token = link
        if slug not in (known.url_slug, "amazon_sns"):
            report.add(what, f"its URL names {slug!r} but its type is {kind!r}: not carried", "a new integration")
            continue
        name = _unique(base_name, taken, str(i.get("team_id") or i["id"]))
        what = f'integration "{name}"'
        if source_type.startswith("legacy_"):
            report.add(what, f"legacy type {source_type} becomes {kind} (same URL; both payload shapes accepted)")
        default_chain, routes = _routes(routes_of.get(i["id"], []), chain_names, what, report)
        default = i.get("default_route") or {}
        default_chain = default_chain or chain_names.get(default.get("escalation_chain_id") or "")
        _chatops(default, what, report)
        if i.get("maintenance_mode"):
            report.add(what, f"is in {i['maintenance_mode']} mode now: not carried", "oncall maintenance start")
        heartbeat = (i.get("heartbeat") or {}).get("link")
        heartbeat_path = f"/integrations/v1/{slug}/{token}/heartbeat/" if heartbeat else None
        report.urls[name] = (f"/integrations/v1/{slug}/{token}/", heartbeat_path)
        names[i["id"]] = name
        result.append(
            IntegrationSpec(
                name=name,
                type=kind,
                token=token,
                team=team_names.get(i.get("team_id") or ""),
                description_short=(i.get("description_short") or None),
                default_chain=default_chain,
                routes=routes,
                templates=_templates(i.get("templates"), what, report),
            )
        )
    return result, names


def _chatops(route: dict[str, Any], what: str, report: Report) -> None:
    for chatops in ("slack", "telegram", "msteams"):
        target = route.get(chatops) or {}
        if target.get("enabled") and (target.get("channel_id") or target.get("id")):
            report.add(what, f"posts to a {chatops} channel: not carried", CHATOPS_INSTEAD[chatops])


def _routes(
    source: list[dict[str, Any]], chain_names: dict[str, str], what: str, report: Report
) -> tuple[str | None, list[RouteSpec]]:
    """(the default route's chain, the other routes in order)."""
    default_chain = None
    routes = []
    for r in sorted(source, key=lambda r: (r.get("position", 0), r["id"])):
        chain = chain_names.get(r.get("escalation_chain_id") or "")
        _chatops(r, what, report)
        if r.get("is_the_last_route"):
            default_chain = chain
        elif r.get("routing_type") == "jinja2":
            routes.append(RouteSpec(jinja2=r.get("routing_regex"), chain=chain))
        elif r.get("routing_type") == "labels":
            pairs = [
                ((x.get("key") or {}).get("name"), (x.get("value") or {}).get("name")) for x in r.get("labels") or []
            ]
            labels = {k: v for k, v in pairs if k and v}
            if labels:
                routes.append(RouteSpec(labels=labels, chain=chain))
            else:
                report.add(what, "a labels route without labels: not carried")
        elif r.get("routing_regex"):
            routes.append(RouteSpec(regex=r["routing_regex"], chain=chain))
    return default_chain, routes


# ------------------------------------------------------------------------------------------ state
@dataclass
class MigrationState:
    """What the last run called each source object (source id → name), per section, per source."""

    path: Path
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> MigrationState:
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            data = {}
        except (OSError, ValueError) as error:
            raise SourceError(
                f"{path} is not a migration state file ({error}): move it away or pass --state"
            ) from error
        return cls(path, data if isinstance(data, dict) else {})

    def names(self, source: str) -> dict[str, dict[str, str]]:
        return self.data.get("sources", {}).get(source, {})

    def save(self, source: str, names: dict[str, dict[str, str]]) -> None:
        self.data.setdefault("sources", {})[source] = names
        self.data["version"] = 1
        self.path.write_text(json.dumps(self.data, indent=2, sort_keys=True) + "\n")


# ------------------------------------------------------------------------------------------ fitting
SECTION_KEYS = {
    "teams": "name",
    "users": "username",
    "schedules": "name",
    "webhooks": "name",
    "escalation_chains": "name",
    "integrations": "name",
}


def fit_to_destination(
    migration: Migration,
    current: Config,
    *,
    previous: dict[str, dict[str, str]] | None = None,
    create_users: bool = True,
) -> Config:
    """The config to plan against the destination (`current`, as export_config reads it):
    - a source user whose e-mail (else username) is a destination user's becomes that user (its username;
      its contacts and rules kept, the source's added where it has none);
    - with create_users False, unmatched users are left out and every reference to them dropped (reported);
    - an object the previous run named differently (same source id) is renamed in place (`renamed_from`).
    An integration here that has a source integration's token under another name is not taken over: unless
    the state says the previous run created it, the plan reports the clash (a token is never reassigned)."""
    config = migration.config.model_copy(deep=True)
    report = migration.report
    previous = previous or {}
    existing = {u.username: u for u in current.users or []}
    by_email = {(u.email or "").lower(): u for u in current.users or [] if u.email}
    renames: dict[str, str] = {}
    kept_users = []
    for user in config.users or []:
        match = by_email.get((user.email or "").lower()) if user.email else None
        match = match or existing.get(user.username)
        if match is None:
            if create_users:
                kept_users.append(user)
            else:
                report.skipped_users.append(user.username)
                report.add(
                    f'user "{user.username}"',
                    "no user here with this e-mail or username: not created",
                    "--no-create-users off, or create them",
                )
            continue
        renames[user.username] = match.username
        merged = match.model_copy(deep=True)
        for contact, url in user.contacts.items():
            if contact not in merged.contacts and url not in merged.contacts.values():
                merged.contacts[contact] = url
        if not merged.default_rules:
            merged.default_rules = user.default_rules
        if not merged.important_rules:
            merged.important_rules = user.important_rules
        merged.teams = list(dict.fromkeys([*merged.teams, *user.teams]))
        kept_users.append(merged)
    config.users = kept_users
    known_users = {u.username for u in kept_users} | set(existing)
    _rewrite_users(config, renames, known_users, report)
    _drop_masked_secrets(config, current, report)

    # renames since the previous run (state) and integrations found by token
    for section, key in SECTION_KEYS.items():
        if section == "users":
            continue
        before = previous.get(section, {})
        now_names = migration.names.get(section, {})
        declared = {getattr(s, key) for s in getattr(config, section) or []}
        current_names = {getattr(s, key) for s in getattr(current, section) or []}
        for source_id, name in now_names.items():
            old = before.get(source_id)
            if old and old != name and old not in declared and old in current_names:
                spec = next((s for s in getattr(config, section) if getattr(s, key) == name), None)
                if spec is not None and name not in current_names:
                    spec.renamed_from = old
    return config


def _rewrite_users(config: Config, renames: dict[str, str], known: set[str], report: Report) -> None:
    def one(name: str) -> str | None:
        name = renames.get(name, name)
        return name if name in known else None

    for schedule in config.schedules or []:
        layers = []
        for layer in schedule.layers:
            users = [u for u in (one(n) for n in layer.users) if u]
            if len(users) < len(layer.users):
                report.add(f'schedule "{schedule.name}"', "a layer lost users that were not created")
            if users:
                layer.users = users
                layers.append(layer)
        schedule.layers = layers
        shifts = []
        for shift in schedule.shifts:
            users = [u for u in (one(n) for n in shift.users) if u]
            groups = [g for g in ([u for u in (one(n) for n in group) if u] for group in shift.rolling_users) if g]
            if len(users) < len(shift.users) or len(groups) < len(shift.rolling_users):
                report.add(f'schedule "{schedule.name}"', f'shift "{shift.name}" lost users that were not created')
            if users or groups:
                shifts.append(shift.model_copy(update={"users": users, "rolling_users": groups}))
        schedule.shifts = shifts
        overrides = []
        for override in schedule.overrides:
            user = one(override.user)
            if user:
                override.user = user
                overrides.append(override)
        schedule.overrides = overrides
    for chain in config.escalation_chains or []:
        steps = []
        for step in chain.steps:
            if step.persons is not None:
                persons = [u for u in (one(n) for n in step.persons) if u]
                if len(persons) < len(step.persons):
                    report.add(f'escalation chain "{chain.name}"', "a step lost users that were not created")
                if not persons:
                    continue
                step.persons = persons
            steps.append(step)
        chain.steps = steps


def _drop_masked_secrets(config: Config, current: Config, report: Report) -> None:
    """A secret the source only showed masked (contact URLs, iCal URLs, webhook credentials of another
    deployment of this service) cannot be copied: where nothing is stored here it is left out and reported
    (a masked value would otherwise mean "keep what is stored")."""
    here_users = {u.username: u for u in current.users or []}
    for user in config.users or []:
        stored = here_users[user.username].contacts if user.username in here_users else {}
        for contact, url in list(user.contacts.items()):
            if is_masked(url) and stored.get(contact) != url:
                del user.contacts[contact]
                report.add(
                    f'user "{user.username}"',
                    f"contact {contact} is masked by the source: not carried",
                    f"set it here: oncall users update {user.username} --contact {contact}=<URL>",
                )
        for rules in ("default_rules", "important_rules"):
            kept = [r for r in getattr(user, rules) if r.type != "notify" or r.contact in user.contacts]
            while kept and kept[-1].type == "wait":
                kept.pop()
            setattr(user, rules, kept)
    here_schedules = {s.name: s for s in current.schedules or []}
    for schedule in config.schedules or []:
        stored_url = here_schedules[schedule.name].ical_url if schedule.name in here_schedules else None
        if schedule.ical_url and is_masked(schedule.ical_url) and stored_url != schedule.ical_url:
            schedule.ical_url = None
            report.add(
                f'schedule "{schedule.name}"', "its iCal URL is masked by the source: not carried", "set it here"
            )
    here_webhooks = {w.name: w for w in current.webhooks or []}
    for webhook in config.webhooks or []:
        for secret in ("password", "authorization_header"):
            value = getattr(webhook, secret)
            stored = getattr(here_webhooks[webhook.name], secret) if webhook.name in here_webhooks else None
            if value and is_masked(value) and stored is None:
                setattr(webhook, secret, None)
                report.add(
                    f'outgoing webhook "{webhook.name}"',
                    f"its {secret.replace('_', ' ')} is masked by the source: not carried",
                    "set it here",
                )


def is_masked(value: str) -> bool:
    return "****" in value


def masked_values(config: Config) -> list[str]:
    """Every value of `config` that is masked (as this service's API shows secrets without
    `reveal_secrets=true`): a copy made of these would not carry the secrets."""
    found: list[str] = []
    for user in config.users or []:
        found += [f'user "{user.username}": contact {k} = {v}' for k, v in user.contacts.items() if is_masked(v)]
    for schedule in config.schedules or []:
        if schedule.ical_url and is_masked(schedule.ical_url):
            found.append(f'schedule "{schedule.name}": ical_url = {schedule.ical_url}')
    for webhook in config.webhooks or []:
        for name in ("url", "headers", "password", "authorization_header"):
            value = getattr(webhook, name)
            if value and is_masked(value):
                found.append(f'outgoing webhook "{webhook.name}": {name} = {value}')
    for chain in config.escalation_chains or []:
        for index, step in enumerate(chain.steps):
            if step.channel and is_masked(step.channel):
                found.append(f'escalation chain "{chain.name}": step {index + 1} channel = {step.channel}')
    return found
