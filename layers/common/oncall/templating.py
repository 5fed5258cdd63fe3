"""Jinja2 templating with OnCall's semantics: one sandboxed environment, templates compiled once per
container and cached by their text, bounded output, OnCall's extra filters, `range` disabled, regex filters
with a timeout, and errors rendered as text instead of blocking ingestion.

The validator is the renderer: the API's preview and template checks call the same functions as `route`.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import regex
from jinja2 import TemplateAssertionError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from oncall.clock import default_clock

MAX_TEMPLATE_LENGTH = 50_000
MAX_RESULT_LENGTH = 50_000
MAX_TITLE_LENGTH = 500
REGEX_TIMEOUT_SECONDS = 2.0
TRUTHY_OUTPUTS = frozenset({"1", "true", "ok"})
_DEFAULT_TIME_FORMAT = "%H:%M / %d-%m-%Y"
_TIMEDELTA_RE = re.compile(r"^([-+]?\d+)([smhdwMQy])$")
_TIMEDELTA_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


# ------------------------------------------------------------------------------------------ filters
def _quiet(fn):
    """OnCall's filters never raise: a failing filter yields None."""

    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception:  # noqa: BLE001 - the documented contract of these filters
            return None

    wrapper.__name__ = fn.__name__
    return wrapper


@_quiet
def tojson_pretty(value: Any) -> str:
    return json.dumps(value, sort_keys=True, indent=4, separators=(",", ": "), ensure_ascii=False)


@_quiet
def json_dumps(value: Any) -> str:
    return json.dumps(value)


@_quiet
def iso8601_to_time(value: str) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


@_quiet
def datetimeformat(value: datetime, fmt: str = _DEFAULT_TIME_FORMAT) -> str:
    return value.strftime(fmt)


@_quiet
def datetimeformat_as_timezone(value: datetime, fmt: str = _DEFAULT_TIME_FORMAT, tz: str = "UTC") -> str:
    return value.astimezone(ZoneInfo(tz)).strftime(fmt)


@_quiet
def datetimeparse(value: str, fmt: str = _DEFAULT_TIME_FORMAT) -> datetime:
    return datetime.strptime(value, fmt)


@_quiet
def timedeltaparse(value: str) -> timedelta | None:
    match = _TIMEDELTA_RE.match(str(value))
    if not match or match.group(2) not in _TIMEDELTA_UNITS:
        return None
    return timedelta(**{_TIMEDELTA_UNITS[match.group(2)]: int(match.group(1))})


@_quiet
def timestamp_to_datetime(value: Any) -> datetime:
    return datetime.fromtimestamp(float(value), tz=UTC)


@_quiet
def regex_replace(value: Any, find: str, replace: str) -> str:
    return regex.sub(find, replace, str(value), timeout=REGEX_TIMEOUT_SECONDS)


@_quiet
def regex_match(value: Any, pattern: str) -> bool:
    return bool(regex.match(pattern, str(value), timeout=REGEX_TIMEOUT_SECONDS))


@_quiet
def regex_search(value: Any, pattern: str) -> bool:
    return bool(regex.search(pattern, str(value), timeout=REGEX_TIMEOUT_SECONDS))


@_quiet
def b64decode(value: str) -> str:
    return base64.b64decode(value).decode("utf-8")


@_quiet
def parse_json(value: str) -> Any:
    return json.loads(value)


def _restricted_range(*_args: Any, **_kwargs: Any) -> None:
    raise SecurityError("use of 'range' is restricted")


def _now() -> datetime:
    return default_clock().now()


def _build_environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=False)
    env.filters.update(
        tojson_pretty=tojson_pretty,
        json_dumps=json_dumps,
        iso8601_to_time=iso8601_to_time,
        datetimeformat=datetimeformat,
        datetimeformat_as_timezone=datetimeformat_as_timezone,
        datetimeparse=datetimeparse,
        timedeltaparse=timedeltaparse,
        timestamp_to_datetime=timestamp_to_datetime,
        regex_replace=regex_replace,
        regex_match=regex_match,
        regex_search=regex_search,
        b64decode=b64decode,
        parse_json=parse_json,
    )
    env.globals.update(time=_now, range=_restricted_range)
    return env


_ENV = _build_environment()


# ------------------------------------------------------------------------------------------ rendering
@dataclass(frozen=True)
class Rendered:
    """The outcome of one render: `text` on success, `error` ("Template Error: …" / "Template Warning: …")
    otherwise. `value` is what appearance slots show: the text, or the error message in its place."""

    text: str | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def value(self) -> str:
        return self.text if self.text is not None else (self.error or "")


@dataclass(frozen=True)
class _Compiled:
    template: Any = None
    error: str | None = None


@lru_cache(maxsize=1024)
def _compile(text: str) -> _Compiled:
    if len(text) > MAX_TEMPLATE_LENGTH:
        return _Compiled(error=f"Template Error: template is longer than {MAX_TEMPLATE_LENGTH} characters")
    try:
        return _Compiled(template=_ENV.from_string(text))
    except (TemplateSyntaxError, TemplateAssertionError, SecurityError) as exc:
        return _Compiled(error=f"Template Error: {exc}")


def check_syntax(text: str) -> str | None:
    """The error a template would render with before seeing any data, or None if it compiles."""
    return _compile(text).error


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + ".."


def render(text: str, context: dict[str, Any], *, max_length: int = MAX_RESULT_LENGTH) -> Rendered:
    compiled = _compile(text)
    if compiled.error:
        return Rendered(text=None, error=compiled.error)
    try:
        output = compiled.template.render(**context)
    except (TypeError, KeyError, ValueError, UndefinedError) as exc:
        return Rendered(text=None, error=f"Template Warning: {exc}")
    except Exception as exc:  # noqa: BLE001 - a user template must never break ingestion
        return Rendered(text=None, error=f"Template Error: {exc}")
    return Rendered(text=_truncate(output, max_length))


def render_title(text: str, context: dict[str, Any]) -> Rendered:
    return render(text, context, max_length=MAX_TITLE_LENGTH)


def is_truthy(output: str | None) -> bool:
    """OnCall's rule for conditions and jinja2 routes: stripped, lower-cased output in {1, true, ok}."""
    return output is not None and output.strip().lower() in TRUTHY_OUTPUTS


def render_condition(text: str | None, context: dict[str, Any]) -> bool:
    """A condition template; no template, or any error, counts as false."""
    if not text:
        return False
    return is_truthy(render(text, context).text)
