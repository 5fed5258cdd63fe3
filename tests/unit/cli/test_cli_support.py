"""The CLI's own logic, without a server: where it connects (env vars, `oncall login`'s file), durations,
exit codes, rate-limit retries and `oncall tail`'s event detection."""

from __future__ import annotations

import copy
import stat
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from oncall_cli import config
from oncall_cli.client import ApiError, ConfigurationError, OnCallClient
from oncall_cli.commands.alert_groups import Tailer
from oncall_cli.ui import command, format_duration, parse_duration


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("ONCALL_URL", raising=False)
    monkeypatch.delenv("ONCALL_TOKEN", raising=False)
    return tmp_path / "xdg" / "oncall" / "config.toml"


# ------------------------------------------------------------------------------------------ configuration
def test_login_file_is_private_and_read_back(home):
    path = config.write_file("https://oncall.example.com", 'tok"en\\')
    assert path == home
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert config.resolve() == config.Connection("https://oncall.example.com", 'tok"en\\', str(home))


def test_rewriting_a_readable_file_makes_it_private(home):
    home.parent.mkdir(parents=True)
    home.write_text("url = 'x'\n")
    home.chmod(0o644)
    config.write_file("https://a.example.com", "t")
    assert stat.S_IMODE(home.stat().st_mode) == 0o600


def test_environment_variables_win(home, monkeypatch):
    config.write_file("https://file.example.com", "file-token")
    monkeypatch.setenv("ONCALL_URL", "https://env.example.com")
    monkeypatch.setenv("ONCALL_TOKEN", "env-token")
    assert config.resolve() == config.Connection("https://env.example.com", "env-token", "environment")
    monkeypatch.delenv("ONCALL_URL")
    assert config.resolve().url == "https://file.example.com" and config.resolve().token == "env-token"


def test_the_stored_token_never_goes_to_another_url(home, monkeypatch):
    config.write_file("https://file.example.com", "file-token")
    monkeypatch.setenv("ONCALL_URL", "https://elsewhere.example.com")
    assert config.resolve() is None
    with pytest.raises(ConfigurationError, match="oncall login"):
        OnCallClient()
    monkeypatch.setenv("ONCALL_URL", "https://file.example.com/")
    assert config.resolve().token == "file-token"


def test_not_configured_and_logout(home):
    assert config.resolve() is None
    assert config.remove_file() is False
    config.write_file("https://a.example.com", "t")
    assert config.remove_file() is True and not home.exists()


# ------------------------------------------------------------------------------------------ durations
@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("10m", 600), ("1h30m", 5400), ("2d", 172800), ("1w", 604800)]
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize("text", ["soon", "", "10x", "m", "1.5h", "-5m"])
def test_bad_durations(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_durations_print_shortest():
    assert [format_duration(s) for s in (0, 59, 300, 3600, 5400, 86400, 90061)] == [
        "0s",
        "59s",
        "5m",
        "1h",
        "1h30m",
        "1d",
        "1d1h1m1s",
    ]


# ------------------------------------------------------------------------------------------ exit codes
def _app(error: Exception) -> typer.Typer:
    app = typer.Typer()

    @command(app, "go")
    def go(name: str = "x") -> None:
        raise error

    @command(app, "other")
    def other() -> None:  # a second command keeps typer from flattening the app
        pass

    return app


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ApiError(404, {"detail": "Not found."}), 3),
        (ApiError(400, {"detail": "name: bad"}), 1),
        (ApiError(0, "Cannot reach http://x"), 1),
        (ConfigurationError("not configured"), 2),
    ],
)
def test_errors_become_exit_codes_and_one_line(error, code):
    result = CliRunner().invoke(_app(error), ["go"])
    assert result.exit_code == code
    assert "Traceback" not in result.output


# ------------------------------------------------------------------------------------------ rate limits
class _Response:
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        self.status_code, self._body, self.headers = status, body, headers or {}
        self.content = b"x" if body is not None else b""
        self.text = str(body)

    def json(self) -> Any:
        return self._body


def test_429_is_retried_after_the_advertised_wait():
    client = OnCallClient("https://a.example.com", "t")
    answers = iter([_Response(429, {"detail": "slow down"}, {"Retry-After": "2"}), _Response(200, {"ok": True})])
    client._session.request = lambda *a, **k: next(answers)
    waits: list[float] = []
    client.sleep = waits.append
    assert client.request("GET", "settings") == {"ok": True}
    assert waits == [2.0]


def test_429_gives_up_after_a_few_tries():
    client = OnCallClient("https://a.example.com", "t")
    client._session.request = lambda *a, **k: _Response(429, {"detail": "slow down"}, {"RateLimit-Reset": "999"})
    waits: list[float] = []
    client.sleep = waits.append
    with pytest.raises(ApiError) as raised:
        client.request("GET", "settings")
    assert raised.value.status == 429 and waits == [30.0, 30.0, 30.0]


# ------------------------------------------------------------------------------------------ tail
class FakeApi:
    """The alert-group list and timelines `oncall tail` polls, editable between polls."""

    def __init__(self) -> None:
        self.groups: list[dict[str, Any]] = []
        self.timelines: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[str] = []

    def request(self, method: str, path: str, **_: Any) -> dict[str, Any]:
        self.requests.append(path)
        if path == "alert_groups":
            return {"results": copy.deepcopy(list(reversed(self.groups)))}  # newest first, fresh JSON
        return {"results": self.timelines[path.split("/")[1]]}

    def add(self, group_id: str, state: str = "firing", **fields: Any) -> dict[str, Any]:
        group = {
            "id": group_id,
            "integration_id": "C1",
            "title": f"title {group_id}",
            "state": state,
            "alerts_count": 1,
            "created_at": "2026-01-01T00:00:00Z",
            "resolved_at": "2026-01-01T00:05:00Z" if state == "resolved" else None,
            "acknowledged_at": None,
            "silenced_at": None,
            "last_alert": {"created_at": "2026-01-01T00:00:00Z"},
            **fields,
        }
        self.groups.append(group)
        self.timelines[group_id] = [self.entry("2026-01-01T00:00:00.1Z", "registered", "Registered.")]
        return group

    @staticmethod
    def entry(at: str, kind: str, text: str) -> dict[str, str]:
        return {"at": at, "type": kind, "text": text}


def _events(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["alert_group_id"], e["event"]) for e in events]


def test_tail_reports_only_what_happens_after_it_starts():
    # given a firing group and a resolved one before tail starts
    api = FakeApi()
    old = api.add("I1")
    api.timelines["I1"].append(api.entry("2026-01-01T00:00:01Z", "notified", "Notified alice."))
    api.add("I0", state="resolved")
    tailer = Tailer(api)
    assert tailer.poll() == []
    # when a new group arrives, the old one is acknowledged and paged again, and gets a new alert
    api.add("I2")
    api.timelines["I2"].append(api.entry("2026-01-01T00:01:00Z", "notified", "Notified bob via push."))
    old.update(state="acknowledged", alerts_count=3, last_alert={"created_at": "2026-01-01T00:02:00Z"})
    api.timelines["I1"].append(api.entry("2026-01-01T00:02:01Z", "acknowledged", "Acknowledged by alice."))
    events = tailer.poll()
    # then exactly those are reported, old history is not
    assert _events(events) == [("I1", "alert"), ("I2", "new"), ("I1", "acknowledged"), ("I2", "notified")]
    assert events[0]["text"] == "+2 alert(s), 3 in all"
    assert events[2]["text"] == "Acknowledged by alice."
    assert tailer.poll() == []


def test_tail_reports_a_resolved_group_coming_back_without_its_history():
    api = FakeApi()
    group = api.add("I0", state="resolved")
    api.timelines["I0"].append(api.entry("2026-01-01T00:05:00.5Z", "resolved", "Resolved by alice."))
    tailer = Tailer(api)
    tailer.poll()
    assert api.requests == ["alert_groups"]  # resolved groups' timelines are not read until they change
    group.update(state="firing", resolved_at=None)
    api.timelines["I0"].append(api.entry("2026-01-01T01:00:00Z", "unresolved", "Unresolved by bob."))
    assert [(e["event"], e["text"]) for e in tailer.poll()] == [("unresolved", "Unresolved by bob.")]


def test_tail_without_timelines_reports_state_changes_from_the_groups():
    api = FakeApi()
    group = api.add("I1")
    tailer = Tailer(api, timelines=False)
    tailer.poll()
    group.update(state="silenced", silenced_at="2026-01-01T00:03:00Z")
    first = tailer.poll()
    group.update(state="firing")
    assert _events(first + tailer.poll()) == [("I1", "silenced"), ("I1", "unsilenced")]
    assert all(path == "alert_groups" for path in api.requests)


def test_tail_reads_few_timelines_per_poll_and_visits_every_open_group_in_turn():
    # given 20 open groups, read once when tail starts
    api = FakeApi()
    for n in range(20):
        api.add(f"I{n:02d}")
    tailer = Tailer(api)
    tailer.poll()
    assert len(api.requests) == 21
    # when nothing changes, each poll reads the list and two timelines, never the same ones twice in a row
    visited: list[str] = []
    for _ in range(10):
        api.requests.clear()
        tailer.poll()
        assert api.requests[0] == "alert_groups" and len(api.requests) == 3
        visited += [path.split("/")[1] for path in api.requests[1:]]
    assert len(set(visited)) == 20
    # and a group that changes is read on the next poll, whatever the turn
    api.groups[5]["alerts_count"] = 2
    api.timelines["I05"].append(api.entry("2026-01-01T00:09:00Z", "notified", "Notified carol."))
    api.requests.clear()
    assert [(e["alert_group_id"], e["event"]) for e in tailer.poll()] == [("I05", "alert"), ("I05", "notified")]


def test_an_answer_that_is_not_json_is_not_the_api():
    client = OnCallClient("https://www.example.com", "t")
    page = _Response(200, None)
    page.content, page.json = b"<html>", lambda: (_ for _ in ()).throw(ValueError("no JSON"))
    client._session.request = lambda *a, **k: page
    with pytest.raises(ApiError, match="is https://www.example.com the base URL of the API"):
        client.request("GET", "settings")
