"""A stand-in for a Grafana OnCall instance's public API v1, for `oncall migrate` tests.

Built from the documented response shapes (oncall-behaviour.md §9; OnCall's public API docs): page-number
pagination (`count`, `next`, `previous`, `results`, `page_size`, `current_page_number`, `total_pages`, absolute
`next`/`previous`, page out of range ⇒ the last page), `Authorization: <token>` (401 otherwise), and faults to
order: `fault("integrations", 429, {"RateLimit-Reset": "7"})` answers the next request for that resource so.

`sample_data()` covers every endpoint the migrator reads with more objects than one page holds (page size 2
by default), the legacy integration types, every escalation step type and every shift type.

An http.server on 127.0.0.1 and a free port, one thread; `with OnCallV1Fake() as fake:` starts and stops it.
"""

from __future__ import annotations

import copy
import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "oncall-source-api-token"
# Integration tokens as OnCall makes them: 25 random letters and digits.
AM_TOKEN = "Kq7Zp2Lm9Xw4Rt8Yb3Nc6Vd1S"
LEGACY_AM_TOKEN = "Hj5Gf8Dk2Sa7Qw3Er9Ty4Ui6O"
GRAFANA_TOKEN = "Pz3Xc8Vb1Nm6Lk4Jh9Gf2Ds7A"
WEBHOOK_TOKEN = "Wq2Er5Ty8Ui1Op4As7Df3Gh6J"
LEGACY_GRAFANA_TOKEN = "Mn4Bv7Cx1Za9Sd2Fg5Hj8Kl3Q"


def _page(url: str, results: list[dict[str, Any]], page: int, perpage: int, query: dict[str, str]) -> dict:
    total_pages = max(1, math.ceil(len(results) / perpage))
    page = min(max(page, 1), total_pages)

    def link(number: int) -> str:
        rest = "".join(f"&{k}={v}" for k, v in query.items() if k not in ("page", "perpage"))
        return f"{url}?page={number}&perpage={perpage}{rest}"

    return {
        "count": len(results),
        "next": link(page + 1) if page < total_pages else None,
        "previous": link(page - 1) if page > 1 else None,
        "results": results[(page - 1) * perpage : page * perpage],
        "page_size": perpage,
        "current_page_number": page,
        "total_pages": total_pages,
    }


class OnCallV1Fake:
    def __init__(self, data: dict[str, list[dict[str, Any]]] | None = None, *, page_size: int = 2) -> None:
        self.data = data if data is not None else sample_data("http://127.0.0.1:0")
        self.page_size = page_size  # the most a page holds, whatever perpage asks (OnCall has no cap; small
        # pages make every list span several)
        self.token = TOKEN
        self.faults: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.requests: list[str] = []  # "GET /api/v1/users/?page=1&perpage=100"
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ control
    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fault(self, resource: str, status: int, headers: dict[str, str] | None = None, times: int = 1) -> None:
        self.faults.setdefault(resource, []).extend([(status, headers or {})] * times)

    def start(self) -> OnCallV1Fake:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                fake._handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        # the sample's links carry the fake's own host, like OnCall's
        for integration in self.data.get("integrations", []):
            for field in ("link",):
                integration[field] = integration[field].replace("http://127.0.0.1:0", self.url)
            if integration.get("heartbeat"):
                integration["heartbeat"]["link"] = integration["heartbeat"]["link"].replace(
                    "http://127.0.0.1:0", self.url
                )
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OnCallV1Fake:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ serving
    def _send(self, handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str]) -> None:
        raw = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(raw)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        self.requests.append(f"GET {handler.path}")
        if handler.headers.get("Authorization") != self.token:
            self._send(handler, 401, {"detail": "Invalid token."}, {})
            return
        path = parts.path
        if not path.startswith("/api/v1/"):
            self._send(handler, 404, {"detail": "Not found."}, {})
            return
        resource = path.removeprefix("/api/v1/").strip("/")
        if self.faults.get(resource):
            status, headers = self.faults[resource].pop(0)
            body = {"detail": "Request was throttled."} if status == 429 else {"detail": "Server error."}
            self._send(handler, status, body, headers)
            return
        if resource not in self.data:
            self._send(handler, 404, {"detail": "Not found."}, {})
            return
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            page = int(query.get("page", 1))
            perpage = min(int(query.get("perpage", 50)), self.page_size)
        except ValueError:
            self._send(handler, 404, {"detail": "Invalid page."}, {})
            return
        results = self.data[resource]
        url = f"{self.url}/api/v1/{resource}/"
        self._send(handler, 200, _page(url, copy.deepcopy(results), page, perpage, query), {})


# ------------------------------------------------------------------------------------------ the sample
def _route(rid: str, integration: str, position: int, chain: str | None, **fields: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "integration_id": integration,
        "escalation_chain_id": chain,
        "routing_type": "regex",
        "routing_regex": None,
        "position": position,
        "is_the_last_route": False,
        "slack": {"channel_id": None, "enabled": False},
        "telegram": {"id": None, "enabled": False},
        "msteams": {"id": None, "enabled": False},
        **fields,
    }


def _integration(iid: str, name: str, kind: str, slug: str, token: str, base: str, **fields: Any) -> dict:
    heartbeat = fields.pop("heartbeat", True)
    link = f"{base}/integrations/v1/{slug}/{token}/"
    return {
        "id": iid,
        "name": name,
        "description_short": None,
        "team_id": None,
        "link": link,
        "inbound_email": None,
        "type": kind,
        "default_route": {
            "id": f"R{iid}",
            "escalation_chain_id": None,
            "slack": {"channel_id": None, "enabled": False},
            "telegram": {"id": None, "enabled": False},
        },
        "templates": {
            "grouping_key": None,
            "resolve_signal": None,
            "acknowledge_signal": None,
            "source_link": None,
            "slack": {"title": None, "message": None, "image_url": None},
            "web": {"title": None, "message": None, "image_url": None},
            "sms": {"title": None},
            "phone_call": {"title": None},
            "telegram": {"title": None, "message": None, "image_url": None},
        },
        "heartbeat": {"link": f"{link}heartbeat/"} if heartbeat else None,
        "maintenance_mode": None,
        "maintenance_started_at": None,
        "maintenance_end_at": None,
        **fields,
    }


def _policy(pid: str, chain: str, position: int, kind: str, **fields: Any) -> dict[str, Any]:
    return {"id": pid, "escalation_chain_id": chain, "position": position, "type": kind, **fields}


def _user(uid: str, username: str, email: str, teams: list[str], **fields: Any) -> dict[str, Any]:
    return {
        "id": uid,
        "email": email,
        "slack": None,
        "username": username,
        "name": username.title(),
        "role": "user",
        "avatar_url": "https://grafana.example/avatar/x",
        "is_phone_number_verified": False,
        "timezone": "Europe/Berlin",
        "teams": teams,
        **fields,
    }


def _rule(rid: str, user: str, position: int, kind: str, important: bool = False, **fields: Any) -> dict:
    return {"id": rid, "user_id": user, "position": position, "important": important, "type": kind, **fields}


def _shift(sid: str, name: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": sid,
        "team_id": None,
        "schedule": None,
        "name": name,
        "type": kind,
        "time_zone": None,
        "level": 0,
        "start": "2026-01-05T09:00:00",
        "rotation_start": "2026-01-05T09:00:00",
        "duration": 604800,
        "frequency": None,
        "interval": None,
        "until": None,
        "week_start": "MO",
        "by_day": None,
        "by_month": None,
        "by_monthday": None,
        "source": 1,
        "users": [],
        "rolling_users": None,
        "start_rotation_from_user_index": None,
        **fields,
    }


def sample_data(base: str) -> dict[str, list[dict[str, Any]]]:
    """A small but complete OnCall setup (ids in OnCall's shapes)."""
    return {
        "teams": [
            {"id": "TSRE00000001", "name": "SRE", "email": "sre@example.com", "avatar_url": "x"},
            {"id": "TDB000000002", "name": "DB", "email": None, "avatar_url": "x"},
            {"id": "TWEB00000003", "name": "Web", "email": None, "avatar_url": "x"},
        ],
        "users": [
            _user(
                "UALICE000001",
                "alice",
                "alice@example.com",
                ["TSRE00000001"],
                slack=[{"user_id": "U1", "team_id": "T"}],
            ),
            _user("UBOB00000002", "bob", "bob@example.com", ["TSRE00000001", "TDB000000002"]),
            _user("UCAROL000003", "carol", "carol@example.com", []),
        ],
        "personal_notification_rules": [
            _rule("NA1", "UALICE000001", 0, "notify_by_email"),
            _rule("NA2", "UALICE000001", 1, "wait", duration=300),
            _rule("NA3", "UALICE000001", 2, "notify_by_slack"),
            _rule("NA4", "UALICE000001", 0, "notify_by_phone_call", important=True),
            _rule("NB1", "UBOB00000002", 0, "notify_by_mobile_app"),
            _rule("NB2", "UBOB00000002", 1, "notify_by_email"),
            _rule("NC1", "UCAROL000003", 0, "notify_by_telegram"),
            _rule("NC2", "UCAROL000003", 1, "notify_by_sms", important=True),
        ],
        "schedules": [
            {
                "id": "SPRIMARY0001",
                "team_id": "TSRE00000001",
                "name": "Primary",
                "type": "calendar",
                "time_zone": "Europe/Berlin",
                "on_call_now": ["UALICE000001"],
                "shifts": ["OROLL0000001", "OOVERRIDE001"],
                "slack": {"channel_id": None, "user_group_id": None},
            },
            {
                "id": "SWEB00000002",
                "team_id": None,
                "name": "Business hours",
                "type": "web",
                "time_zone": "UTC",
                "on_call_now": [],
                "shifts": ["ORECUR000002", "OSINGLE00003"],
                "slack": None,
            },
            {
                "id": "SICAL0000003",
                "team_id": None,
                "name": "Legacy calendar",
                "type": "ical",
                "time_zone": "UTC",
                "on_call_now": [],
                "ical_url_primary": "https://calendar.example/primary.ics",
                "ical_url_overrides": "https://calendar.example/overrides.ics",
                "slack": None,
            },
        ],
        "on_call_shifts": [
            _shift(
                "OROLL0000001",
                "Weekly rotation",
                "rolling_users",
                schedule="SPRIMARY0001",
                time_zone="Europe/Berlin",
                frequency="weekly",
                interval=1,
                rolling_users=[["UALICE000001"], ["UBOB00000002"]],
                start_rotation_from_user_index=1,
            ),
            _shift(
                "OOVERRIDE001",
                "Carol covers",
                "override",
                schedule="SPRIMARY0001",
                start="2099-01-01T00:00:00",
                rotation_start="2099-01-01T00:00:00",
                duration=86400,
                users=["UCAROL000003"],
            ),
            _shift(
                "ORECUR000002",
                "Weekdays",
                "recurrent_event",
                schedule="SWEB00000002",
                time_zone="UTC",
                frequency="daily",
                interval=1,
                duration=8 * 3600,
                by_day=["MO", "TU", "WE", "TH", "FR"],
                users=["UBOB00000002"],
            ),
            _shift(
                "OSINGLE00003",
                "Launch day",
                "single_event",
                schedule="SWEB00000002",
                start="2099-06-01T08:00:00",
                rotation_start="2099-06-01T08:00:00",
                duration=3600 * 12,
                users=["UALICE000001", "UBOB00000002"],
            ),
        ],
        "webhooks": [
            {
                "id": "WHTICKET0001",
                "name": "Ticket",
                "is_webhook_enabled": True,
                "team": None,
                "data": '{"title": "{{ alert_group.title }}"}',
                "username": "bot",
                "password": "****************",
                "authorization_header": None,
                "trigger_template": None,
                "headers": None,
                "url": "https://tickets.example/api",
                "forward_all": False,
                "http_method": "POST",
                "trigger_type": "escalation",
                "integration_filter": None,
                "preset": "advanced",
            },
            {
                "id": "WHRESOLVE002",
                "name": "On resolve",
                "is_webhook_enabled": True,
                "team": "TSRE00000001",
                "data": None,
                "username": None,
                "password": None,
                "authorization_header": None,
                "trigger_template": None,
                "headers": None,
                "url": "https://hooks.example/resolved",
                "forward_all": True,
                "http_method": "POST",
                "trigger_type": "resolve",
                "integration_filter": ["CAM000000001"],
                "preset": None,
            },
        ],
        "escalation_chains": [
            {"id": "FCRITICAL001", "name": "Critical", "team_id": "TSRE00000001"},
            {"id": "FDEFAULT0002", "name": "Default", "team_id": None},
            {"id": "FEVERY000003", "name": "Every step", "team_id": None},
        ],
        "escalation_policies": [
            _policy("ECR1", "FCRITICAL001", 0, "notify_persons", persons_to_notify=["UALICE000001"], important=False),
            _policy("ECR2", "FCRITICAL001", 1, "wait", duration=300),
            _policy(
                "ECR3",
                "FCRITICAL001",
                2,
                "notify_on_call_from_schedule",
                notify_on_call_from_schedule="SPRIMARY0001",
                important=True,
            ),
            _policy(
                "EDF1",
                "FDEFAULT0002",
                0,
                "notify_person_next_each_time",
                persons_to_notify_next_each_time=["UALICE000001", "UBOB00000002"],
            ),
            _policy("EEV00", "FEVERY000003", 0, "notify_team_members", team_to_notify="TDB000000002", important=False),
            _policy("EEV01", "FEVERY000003", 1, "notify_user_group", group_to_notify="SLACKGROUP1", important=False),
            _policy("EEV02", "FEVERY000003", 2, "notify_whole_channel"),
            _policy("EEV03", "FEVERY000003", 3, "trigger_webhook", action_to_trigger="WHTICKET0001"),
            _policy(
                "EEV04",
                "FEVERY000003",
                4,
                "notify_if_time_from_to",
                notify_if_time_from="09:00:00Z",
                notify_if_time_to="18:00:00Z",
            ),
            _policy(
                "EEV05",
                "FEVERY000003",
                5,
                "notify_if_num_alerts_in_window",
                num_alerts_in_window=3,
                num_minutes_in_window=10,
            ),
            _policy("EEV06", "FEVERY000003", 6, "repeat_escalation"),
            _policy("EEV07", "FEVERY000003", 7, "declare_incident", severity="critical"),
            _policy("EEV08", "FEVERY000003", 8, "resolve"),
        ],
        "integrations": [
            _integration(
                "CAM000000001",
                "Prometheus",
                "alertmanager",
                "alertmanager",
                AM_TOKEN,
                base,
                team_id="TSRE00000001",
                default_route={
                    "id": "RDEF00000001",
                    "escalation_chain_id": "FDEFAULT0002",
                    "slack": {"channel_id": "C123", "enabled": True},
                    "telegram": {"id": None, "enabled": False},
                },
                templates={
                    "grouping_key": "{{ payload.groupKey }}",
                    "web": {"title": "{{ payload.commonLabels.alertname }}", "message": None, "image_url": None},
                    "slack": {"title": None, "message": None, "image_url": None},
                },
            ),
            # OnCall shows legacy types without their prefix (its public API strips it)…
            _integration("CLEGACYAM002", "Old Prometheus", "alertmanager", "alertmanager", LEGACY_AM_TOKEN, base),
            # …older versions did not
            _integration(
                "CLEGACYGA003",
                "Old Grafana alerting",
                "legacy_grafana_alerting",
                "grafana_alerting",
                LEGACY_GRAFANA_TOKEN,
                base,
                heartbeat=False,
            ),
            _integration("CGRAFANA0004", "Grafana", "grafana", "grafana", GRAFANA_TOKEN, base),
            _integration(
                "CWEBHOOK0005", "Cron jobs", "webhook", "webhook", WEBHOOK_TOKEN, base, maintenance_mode="maintenance"
            ),
            _integration(
                "CDIRECT00006",
                "Direct paging",
                "direct_paging",
                "direct_paging",
                "Dp1Dp2Dp3Dp4Dp5Dp6Dp7Dp8D",
                base,
                heartbeat=False,
            ),
            _integration(
                "CEMAIL000007",
                "Mail",
                "inbound_email",
                "inbound_email",
                "Em1Em2Em3Em4Em5Em6Em7Em8E",
                base,
                heartbeat=False,
                inbound_email="x@inbound.example",
            ),
            _integration(
                "CDATADOG0008", "Datadog", "datadog", "datadog", "Dd1Dd2Dd3Dd4Dd5Dd6Dd7Dd8D", base, heartbeat=False
            ),
        ],
        "routes": [
            _route("RCRIT0000001", "CAM000000001", 0, "FCRITICAL001", routing_regex='"severity": "critical"'),
            _route(
                "RJINJA000002",
                "CAM000000001",
                1,
                "FEVERY000003",
                routing_type="jinja2",
                routing_regex='{{ payload.commonLabels.team == "db" }}',
            ),
            _route(
                "RDEF00000001",
                "CAM000000001",
                2,
                "FDEFAULT0002",
                is_the_last_route=True,
                slack={"channel_id": "C123", "enabled": True},
            ),
            _route("RDEF00000002", "CLEGACYAM002", 0, "FDEFAULT0002", is_the_last_route=True),
            _route("RDEF00000003", "CLEGACYGA003", 0, None, is_the_last_route=True),
            _route("RDEF00000004", "CGRAFANA0004", 0, None, is_the_last_route=True),
            _route("RDEF00000005", "CWEBHOOK0005", 0, "FCRITICAL001", is_the_last_route=True),
        ],
        "organizations": [{"id": "OORGANIZATION", "name": "Grafana OnCall", "stack_slug": "example"}],
    }
