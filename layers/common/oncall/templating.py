"""Jinja2 templating with OnCall's semantics (§3 of the reference).

- One `SandboxedEnvironment` per container with Jinja's default options (not the immutable sandbox: templates
  may call `.copy()`/`.pop()` on dicts). Templates are compiled once per container and cached by their text.
- OnCall's extra filters, each swallowing its own errors (a failing filter yields None); `time()` is "now"
  (tz-aware UTC); `range` is disabled; regex filters give up after 2 s.
- Limits (env-overridable, OnCall's names): template text 50 000 chars; output 50 000 chars, titles 500 chars,
  with ".." appended when cut.
- A template never breaks ingestion: errors become text — "Template Error: …" (syntax, security, anything
  unexpected) or "Template Warning: …" (TypeError/KeyError/ValueError/undefined chaining). Callers decide what
  an error means: appearance slots show the text, grouping makes the alert ungroupable, conditions are false.
- Beyond OnCall (harmless for real templates): `*` and `**` refuse results that would be huge (a memory/CPU
  bomb in one expression), and `lipsum()` is bounded.

The validator is the renderer: the API's template checks call the same functions as `route`.
"""

from __future__ import annotations

import base64
import builtins
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import regex
from jinja2 import BaseLoader, TemplateAssertionError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import generate_lorem_ipsum

from oncall.clock import default_clock
from oncall.settings import get_settings

# OnCall's defaults; the effective values come from settings (JINJA_*_MAX_LENGTH).
MAX_TEMPLATE_LENGTH = 50_000
MAX_RESULT_LENGTH = 50_000
MAX_TITLE_LENGTH = 500
TRUNCATION_SUFFIX = ".."
REGEX_TIMEOUT_SECONDS = 2.0
TRUTHY_OUTPUTS = frozenset({"1", "true", "ok"})
COMPILED_CACHE_SIZE = 2048
# Guards against one-expression resource bombs ('x' * 10**10, 9 ** 9 ** 9, lipsum(10**7)).
MAX_REPEAT_ITEMS = 1_000_000
MAX_POWER_BITS = 100_000
MAX_LIPSUM_PARAGRAPHS = 100
_DEFAULT_TIME_FORMAT = "%H:%M / %d-%m-%Y"
_TIMEDELTA_RE = re.compile(r"^([-+]?\d+)([smhdwMQy])$")
_TIMEDELTA_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# The fallback grammar of Django's parse_datetime (used when datetime.fromisoformat refuses the text).
_DATETIME_RE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"[T ](?P<hour>\d{1,2}):(?P<minute>\d{1,2})"
    r"(?::(?P<second>\d{1,2})(?:[.,](?P<microsecond>\d{1,6})\d{0,6})?)?"
    r"\s*(?P<tzinfo>Z|[+-]\d{2}(?::?\d{2})?)?$"
)


# ------------------------------------------------------------------------------------------ filters
def _quiet(fn):
    """OnCall's filters never raise: a failing filter yields None."""

    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception:  # noqa: BLE001 - the documented contract of these filters
            return None

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@_quiet
def tojson_pretty(value: Any) -> str:
    return json.dumps(value, sort_keys=True, indent=4, separators=(",", ": "), ensure_ascii=False)


@_quiet
def json_dumps(value: Any) -> str:
    return json.dumps(value)


@_quiet
def iso8601_to_time(value: str) -> datetime | None:
    """Django's parse_datetime: ISO 8601 (aware when it carries an offset), None when the text is not a
    date-time at all; a well-formed but impossible value (month 13) is an error, hence None as well."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    match = _DATETIME_RE.match(value)
    if match is None:
        return None
    parts = match.groupdict()
    if parts["microsecond"]:
        parts["microsecond"] = parts["microsecond"].ljust(6, "0")
    offset = parts.pop("tzinfo")
    tzinfo = None
    if offset == "Z":
        tzinfo = UTC
    elif offset is not None:
        minutes = 60 * int(offset[1:3]) + (int(offset[-2:]) if len(offset) > 3 else 0)
        tzinfo = timezone(timedelta(minutes=-minutes if offset[0] == "-" else minutes))
    return datetime(**{k: int(v) for k, v in parts.items() if v is not None}, tzinfo=tzinfo)


@_quiet
def datetimeformat(value: datetime, fmt: str = _DEFAULT_TIME_FORMAT) -> str:
    return value.strftime(fmt)


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def _zone(name: str) -> ZoneInfo:
    """A time zone by IANA name; like pytz, the lookup is case-insensitive."""
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo(_zone_names()[name.lower()])


@_quiet
def datetimeformat_as_timezone(value: datetime, fmt: str = _DEFAULT_TIME_FORMAT, tz: str = "UTC") -> str:
    # A naive value is UTC (OnCall's servers run in UTC, where astimezone reads naive values as UTC).
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_zone(tz)).strftime(fmt)


@_quiet
def datetimeparse(value: str, fmt: str = _DEFAULT_TIME_FORMAT) -> datetime:
    return datetime.strptime(value, fmt)


@_quiet
def timedeltaparse(value: str) -> timedelta | None:
    """ "5m" -> 5 minutes; s, m, h, d, w; months/quarters/years (M, Q, y) have no fixed length -> None."""
    match = _TIMEDELTA_RE.match(value) if isinstance(value, str) else None
    if not match or match.group(2) not in _TIMEDELTA_UNITS:
        return None
    return timedelta(**{_TIMEDELTA_UNITS[match.group(2)]: int(match.group(1))})


@_quiet
def timestamp_to_datetime(value: int | float) -> datetime:
    """Epoch seconds -> a naive date-time in server-local time, which is UTC on Lambda (and here, always)."""
    if not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, tz=UTC).replace(tzinfo=None)


@_quiet
def regex_replace(value: str, find: str, replace: str) -> str:
    return regex.sub(find, replace, value, timeout=REGEX_TIMEOUT_SECONDS)


@_quiet
def regex_match(value: str, pattern: str) -> bool:
    """Anchored at the start of the value (re.match)."""
    return bool(regex.match(pattern, value, timeout=REGEX_TIMEOUT_SECONDS))


@_quiet
def regex_search(value: str, pattern: str) -> bool:
    return bool(regex.search(pattern, value, timeout=REGEX_TIMEOUT_SECONDS))


@_quiet
def b64decode(value: str) -> str:
    return base64.b64decode(value).decode("utf-8")


@_quiet
def parse_json(value: str) -> Any:
    return json.loads(value)


FILTERS = {
    "tojson_pretty": tojson_pretty,
    "json_dumps": json_dumps,
    "iso8601_to_time": iso8601_to_time,
    "datetimeformat": datetimeformat,
    "datetimeformat_as_timezone": datetimeformat_as_timezone,
    "datetimeparse": datetimeparse,
    "timedeltaparse": timedeltaparse,
    "timestamp_to_datetime": timestamp_to_datetime,
    "regex_replace": regex_replace,
    "regex_match": regex_match,
    "regex_search": regex_search,
    "b64decode": b64decode,
    "parse_json": parse_json,
}


# ------------------------------------------------------------------------------------------ environment
def _restricted_range(*_args: Any, **_kwargs: Any) -> None:
    raise SecurityError("use of 'range' is restricted")


def _now() -> datetime:
    return default_clock().now()


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:  # noqa: A002 - Jinja's names
    """Jinja's lorem ipsum, at most 100 paragraphs of at most 100 words."""
    bound = MAX_LIPSUM_PARAGRAPHS
    return generate_lorem_ipsum(
        n=builtins.min(n, bound), html=html, min=builtins.min(min, bound), max=builtins.min(max, bound)
    )


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox with two arithmetic guards: repetition and powers that would produce huge values are
    refused (SecurityError) instead of exhausting the function's memory or CPU."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for items, times in ((left, right), (right, left)):
                sequence = isinstance(items, str | bytes | list | tuple) and isinstance(times, int)
                if sequence and len(items) * times > MAX_REPEAT_ITEMS:
                    raise SecurityError("the result of '*' would be too large")
        elif (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and abs(left) > 1
            and right * math.log2(abs(left)) > MAX_POWER_BITS
        ):
            raise SecurityError("the result of '**' would be too large")
        return super().call_binop(context, operator, left, right)


def _build_environment() -> SandboxedEnvironment:
    env = _Sandbox(loader=BaseLoader())
    env.filters.update(FILTERS)
    env.globals.update(time=_now, range=_restricted_range, lipsum=_lipsum)
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

    @property
    def nullable(self) -> str | None:
        """The shown value, stripped, with OnCall's rule that a rendered "None" (or nothing) means null."""
        shown = self.value.strip()
        return None if shown in ("", "None") else shown


@dataclass(frozen=True)
class _Compiled:
    template: Any = None
    error: str | None = None


@lru_cache(maxsize=COMPILED_CACHE_SIZE)
def _compile(text: str) -> _Compiled:
    try:
        return _Compiled(template=_ENV.from_string(text))
    except (TemplateSyntaxError, TemplateAssertionError, SecurityError) as exc:
        return _Compiled(error=f"Template Error: {exc}")
    except Exception as exc:  # noqa: BLE001 - e.g. RecursionError on absurd nesting
        return _Compiled(error=f"Template Error: {type(exc).__name__}: {exc}")


def _checked(text: str) -> _Compiled:
    limit = get_settings().jinja_template_max_length
    if len(text) > limit:
        return _Compiled(error=f"Template Error: the template is longer than {limit} characters")
    return _compile(text)


def check_syntax(text: str) -> str | None:
    """The error a template would render with before seeing any data, or None if it compiles."""
    return _checked(text).error


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + TRUNCATION_SUFFIX


def render(text: str, context: dict[str, Any], *, max_length: int | None = None) -> Rendered:
    compiled = _checked(text)
    if compiled.error:
        return Rendered(text=None, error=compiled.error)
    try:
        output = compiled.template.render(**context)
    except (TypeError, KeyError, ValueError, UndefinedError) as exc:
        return Rendered(text=None, error=f"Template Warning: {exc}")
    except Exception as exc:  # noqa: BLE001 - a user template must never break ingestion
        return Rendered(text=None, error=f"Template Error: {exc}")
    return Rendered(text=_truncate(output, max_length or get_settings().jinja_result_max_length))


def render_title(text: str, context: dict[str, Any]) -> Rendered:
    return render(text, context, max_length=get_settings().jinja_result_title_max_length)


def is_truthy(output: str | None) -> bool:
    """OnCall's rule for conditions and jinja2 routes: stripped, lower-cased output in {1, true, ok}."""
    return output is not None and output.strip().lower() in TRUTHY_OUTPUTS


def render_condition(text: str | None, context: dict[str, Any]) -> bool:
    """A condition template; no template, or any error, counts as false."""
    if not text:
        return False
    return is_truthy(render(text, context).text)
