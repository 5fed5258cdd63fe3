"""Jinja2 templating with OnCall's semantics (docs/oncall-compatibility.md#templates).

- One `SandboxedEnvironment` per container with Jinja's default options (not the immutable sandbox: templates
  may call `.copy()`/`.pop()` on dicts). Templates are compiled once per container and cached by their text.
- OnCall's extra filters, each swallowing its own errors (a failing filter yields None); `time()` is "now"
  (tz-aware UTC); `range` is disabled; regex filters give up after 2 s.
- Limits (env-overridable, OnCall's names): template text 50 000 chars; output 50 000 chars, titles 500 chars,
  with ".." appended when cut.
- A template never breaks ingestion: errors become text — "Template Error: …" (syntax, security, anything
  unexpected) or "Template Warning: …" (TypeError/KeyError/ValueError/undefined chaining). Callers decide what
  an error means: appearance slots show the text, grouping makes the alert ungroupable, conditions are false.
- Beyond OnCall (harmless for real templates): expressions that would build huge values in one step
  ('x' * 10**10, 9 ** 9 ** 9, '%999999999d' % 1, 'x'.ljust(10**9), |center(10**9), |replace, |join, …) are
  refused, and `lipsum()` is bounded.
- Every render has a budget (denial of service by template: nested loops over a large payload, a string
  doubled in a loop, a slow regex in a loop). Work is metered as the template runs: every loop iteration,
  every character or item a value built by the template holds (operators, concatenation, slices, calls,
  filters) and every character of output count against JINJA_RENDER_MAX_WORK (5 000 000), and the render
  stops after JINJA_RENDER_CPU_SECONDS (4 s) of CPU; regex timeouts (2 s each) are cut to what is left. The top-level
  output is collected only up to the result limit (never built in full, then cut). A render over its
  budget is a "Template Error". Metering is compiled into the template (loops, output and concatenations
  are wrapped in counting filters), so an unmetered path needs a new Jinja construct, not a new payload.

The validator is the renderer: the API's template checks call the same functions as `route`.
"""

from __future__ import annotations

import base64
import builtins
import contextvars
import functools
import json
import math
import re
import string
import time as _time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from jinja2 import (
    BaseLoader,
    TemplateAssertionError,
    TemplateSyntaxError,
    UndefinedError,
    nodes,
    pass_context,
    pass_eval_context,
)
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import generate_lorem_ipsum
from jinja2.visitor import NodeTransformer

from oncall.platform.clock import default_clock
from oncall.platform.settings import get_settings

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
# The render budget (settings JINJA_RENDER_MAX_WORK, JINJA_RENDER_CPU_SECONDS): see the module docstring.
MAX_RENDER_WORK = 5_000_000
RENDER_CPU_SECONDS = 4.0
_CLOCK_EVERY = 64  # read the CPU clock every this many charges (and on every large one)
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


def _regex_timeout() -> float:
    """REGEX_TIMEOUT_SECONDS, or less when the render's CPU budget has less left."""
    budget = _BUDGET.get()
    return REGEX_TIMEOUT_SECONDS if budget is None else min(REGEX_TIMEOUT_SECONDS, budget.seconds_left())


@_quiet
def regex_replace(value: str, find: str, replace: str) -> str:
    import regex  # the `regex` package (timeouts) loads when a template first uses a regex filter

    return regex.sub(find, replace, value, timeout=_regex_timeout())


@_quiet
def regex_match(value: str, pattern: str) -> bool:
    """Anchored at the start of the value (re.match)."""
    import regex  # on first use, as in regex_replace

    return bool(regex.match(pattern, value, timeout=_regex_timeout()))


@_quiet
def regex_search(value: str, pattern: str) -> bool:
    import regex  # on first use, as in regex_replace

    return bool(regex.search(pattern, value, timeout=_regex_timeout()))


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


# ------------------------------------------------------------------------------------------ render budget
class _Budget:
    """What one render may still spend: units of work and CPU time (of this thread)."""

    __slots__ = ("clock_in", "deadline", "left", "seconds", "work")

    def __init__(self, work: int, seconds: float) -> None:
        self.work, self.left, self.seconds = work, work, seconds
        # The clock is first read at the first check (most renders never get there): what runs before it is a
        # few dozen cheap steps at most.
        self.deadline: float | None = None
        self.clock_in = _CLOCK_EVERY

    def _past_deadline(self) -> bool:
        now = _time.thread_time()
        if self.deadline is None:
            self.deadline = now + self.seconds
        return now > self.deadline

    def charge(self, units: int) -> None:
        self.left -= units
        if self.left < 0:  # stays negative: every later charge raises too
            raise SecurityError(
                f"rendering needs more than {self.work:,} units of work (loop iterations, output, values built)"
            )
        self.clock_in -= 1
        if (self.clock_in <= 0 or units > 10_000) and self._past_deadline():
            self.left = -1
            raise SecurityError(f"rendering needs more than {self.seconds:g} s of CPU")
        if self.clock_in <= 0:
            self.clock_in = _CLOCK_EVERY

    def seconds_left(self) -> float:
        self.clock_in = 1  # a slow call (a regex) follows: look at the clock on the next charge
        self._past_deadline()
        return max(0.01, self.deadline - _time.thread_time())


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("template_budget", default=None)


class AlertBudget:
    """CPU seconds that all the renders for one alert share (labels, grouping, conditions, routes, titles):
    one integration's slow templates cannot hold an alert — and the alerts queued behind it — for more than
    this, however many templates it has. `exhausted` says whether some render ran out of it (or was not
    started because it was spent)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = _time.thread_time()
        self.exhausted = False

    def left(self) -> float:
        return self.seconds - (_time.thread_time() - self.started)


_ALERT_BUDGET: contextvars.ContextVar[AlertBudget | None] = contextvars.ContextVar("alert_budget", default=None)


@contextmanager
def alert_budget(seconds: float) -> Iterator[AlertBudget]:
    budget = AlertBudget(seconds)
    token = _ALERT_BUDGET.set(budget)
    try:
        yield budget
    finally:
        _ALERT_BUDGET.reset(token)


_SIZED = (str, bytes, list, tuple, dict, set, frozenset)
_GROWING = (list, dict, set)


def _charge(units: int) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.charge(units)


def _charge_size(value: Any) -> None:
    """Charge what a value built by the template holds: characters, items, or machine words of an int."""
    if isinstance(value, _SIZED):
        _charge(len(value) + 1)
    elif isinstance(value, int):
        _charge(value.bit_length() // 64 + 1)
    else:
        _charge(1)


def _counting(iterable: Any, budget: _Budget) -> Any:
    for item in iterable:
        budget.charge(1)
        yield item


@pass_context
def _metered_iter(_context: Any, iterable: Any) -> Any:
    """What a {% for %} iterates: one unit per iteration."""
    budget = _BUDGET.get()
    return iterable if budget is None else _counting(iterable, budget)


@pass_context
def _metered_output(_context: Any, value: Any, static: int = 0) -> str:
    """Every piece of output (also inside macros, {% set %} blocks and filter blocks): its characters, plus
    `static`, the constant text around it."""
    text = value if isinstance(value, str) else str(value)
    _charge(len(text) + static + 1)
    return text


@pass_context
def _metered_value(_context: Any, value: Any) -> Any:
    """A value built where the sandbox has no hook (`~` concatenation, slices)."""
    _charge_size(value)
    return value


METER_ITER, METER_OUTPUT, METER_VALUE = "oncall_metered_iter", "oncall_metered_output", "oncall_metered_value"


def _metered(node: nodes.Expr, name: str) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


class _Metering(NodeTransformer):
    """Compiles the budget into the template: loops, output, concatenations and slices are wrapped in the
    counting filters above (context-passing, so Jinja never folds them into constants at compile time)."""

    def visit_For(self, node: nodes.For) -> nodes.For:
        self.generic_visit(node)
        node.iter = _metered(node.iter, METER_ITER)
        return node

    def visit_Output(self, node: nodes.Output) -> nodes.Output:
        """Each expression is charged for what it prints; the constant text of the node is charged with the
        first one (or by one call when there is only constant text), so constants stay folded."""
        self.generic_visit(node)
        static = sum(len(child.data) for child in node.nodes if isinstance(child, nodes.TemplateData))
        children: list[nodes.Node] = []
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                children.append(child)
                continue
            children.append(
                nodes.Filter(child, METER_OUTPUT, [nodes.Const(static)], [], None, None, lineno=child.lineno)
            )
            static = 0
        if static:
            constant = nodes.Const("", lineno=node.lineno)
            children.insert(
                0, nodes.Filter(constant, METER_OUTPUT, [nodes.Const(static)], [], None, None, lineno=node.lineno)
            )
        node.nodes = children
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Filter:
        self.generic_visit(node)
        return _metered(node, METER_VALUE)

    def visit_Getitem(self, node: nodes.Getitem) -> nodes.Expr:
        self.generic_visit(node)
        return _metered(node, METER_VALUE) if isinstance(node.arg, nodes.Slice) else node


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


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill"})


def _refuse(what: str) -> None:
    raise SecurityError(f"the result of {what} would be too large")


def _check_percent_format(fmt: str) -> None:
    """'%999999999d' % 1 allocates a gigabyte: refuse widths above the limit and `*` widths."""
    for width, precision in _PERCENT_SPEC.findall(fmt):
        for number in (width, precision):
            if number == "*" or (number and int(number) > MAX_REPEAT_ITEMS):
                _refuse("'%' formatting")


def _check_format_spec(fmt: str) -> None:
    """'{:>999999999}'.format(1) likewise; nested (computed) widths are refused."""
    for _, name, spec, _ in string.Formatter().parse(fmt):
        if (
            name is not None
            and spec
            and ("{" in spec or any(int(n) > MAX_REPEAT_ITEMS for n in re.findall(r"\d+", spec)))
        ):
            _refuse("str.format")


def _check_str_method(owner: str, name: str, args: tuple[Any, ...]) -> None:
    """str methods that can multiply their input: padding widths, tab sizes, replacements."""
    first = args[0] if args else None
    if name in _WIDTH_METHODS and isinstance(first, int) and first > MAX_REPEAT_ITEMS:
        _refuse(f"str.{name}")
    elif name == "expandtabs" and isinstance(first, int) and first * (owner.count("\t") + 1) > MAX_REPEAT_ITEMS:
        _refuse("str.expandtabs")
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        count = args[2] if len(args) > 2 and isinstance(args[2], int) else None
        _check_replace(owner, args[0], args[1], count, "str.replace")
    elif name == "join" and isinstance(first, list | tuple):
        texts = sum(len(item) for item in first if isinstance(item, str))
        if texts + len(owner) * builtins.max(0, len(first) - 1) > MAX_REPEAT_ITEMS:
            _refuse("str.join")
    elif name == "translate" and isinstance(first, dict):
        widest = builtins.max((len(v) for v in first.values() if isinstance(v, str)), default=1)
        if widest * len(owner) > MAX_REPEAT_ITEMS:
            _refuse("str.translate")


def _check_replace(text: str, old: str, new: str, count: int | None, what: str) -> None:
    hits = len(text) + 1 if old == "" else text.count(old)
    if count is not None and count >= 0:
        hits = builtins.min(hits, count)
    if len(text) + hits * len(new) > MAX_REPEAT_ITEMS:
        _refuse(what)


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox plus resource guards: one expression must not exhaust the function's memory or CPU
    ('x' * 10**10, 9 ** 9 ** 9, '%999999999d' % 1, '{:>999999999}'.format(1), 'x'.ljust(10**9), …). Such
    results are refused with a SecurityError ("Template Error: …"); ordinary templates never get near."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = _Metering().visit(super()._parse(source, name, filename))
        tree.set_environment(self)
        return tree

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for items, times in ((left, right), (right, left)):
                sequence = isinstance(items, str | bytes | list | tuple) and isinstance(times, int)
                if sequence and len(items) * times > MAX_REPEAT_ITEMS:
                    _refuse("'*'")
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and left.bit_length() + right.bit_length() > MAX_POWER_BITS
            ):
                _refuse("'*'")
        elif operator == "**":
            huge = isinstance(left, int) and isinstance(right, int) and abs(left) > 1
            if huge and right * math.log2(abs(left)) > MAX_POWER_BITS:
                _refuse("'**'")
        elif operator == "%" and isinstance(left, str):
            _check_percent_format(left)
        result = super().call_binop(context, operator, left, right)
        _charge_size(result)
        return result

    def wrap_str_format(self, value: Any) -> Any:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            _check_format_spec(fmt)
            return wrapped(*args, **kwargs)

        return checked

    def call(self, context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, str):
            _check_str_method(owner, getattr(obj, "__name__", ""), args)
        size_before = len(owner) if isinstance(owner, _GROWING) else None
        result = super().call(context, obj, *args, **kwargs)
        if size_before is not None:  # list.extend(…), dict.update(…): what the container grew by
            _charge(builtins.max(0, len(owner) - size_before))
        _charge_size(result)
        return result


def _guarded_filters(env: SandboxedEnvironment) -> dict[str, Any]:
    """Jinja's own filters that can multiply their input, with the same limits."""
    do_format, do_center, do_indent = env.filters["format"], env.filters["center"], env.filters["indent"]

    def format_(value: Any, *args: Any, **kwargs: Any) -> str:
        _check_percent_format(str(value))
        return do_format(value, *args, **kwargs)

    def center(value: Any, width: int = 80) -> str:
        if isinstance(width, int) and width > MAX_REPEAT_ITEMS:
            _refuse("center")
        return do_center(value, width)

    def indent(value: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
        lines = str(value).count("\n") + 1
        size = width if isinstance(width, int) else len(str(width))
        if size * lines > MAX_REPEAT_ITEMS:
            _refuse("indent")
        return do_indent(value, width, first, blank)

    do_replace, do_join, do_batch, do_slice = (env.filters[n] for n in ("replace", "join", "batch", "slice"))

    @pass_eval_context
    def replace(eval_ctx: Any, value: Any, old: Any, new: Any, count: int | None = None) -> str:
        if isinstance(old, str) and isinstance(new, str):
            _check_replace(str(value), old, new, count if isinstance(count, int) else None, "replace")
        return do_replace(eval_ctx, value, old, new, count)

    @pass_eval_context
    def join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> str:
        items = list(value)
        for item in items:  # each part is charged before the join builds them all at once
            _charge((len(item) if isinstance(item, str) else len(str(item))) + len(str(d)))
        return do_join(eval_ctx, items, d, attribute)

    def batch(value: Any, linecount: int, fill_with: Any = None) -> Any:
        if fill_with is not None and isinstance(linecount, int) and linecount > MAX_REPEAT_ITEMS:
            _refuse("batch")
        return do_batch(value, linecount, fill_with)

    def slice_(value: Any, slices: int, fill_with: Any = None) -> Any:
        if isinstance(slices, int) and slices > MAX_REPEAT_ITEMS:
            _refuse("slice")
        return do_slice(value, slices, fill_with)

    return {
        "format": format_,
        "center": center,
        "indent": indent,
        "replace": replace,
        "join": join,
        "batch": batch,
        "slice": slice_,
    }


def _metered_filter(fn: Any) -> Any:
    """A filter whose result is charged to the render budget (generators are charged as they are consumed)."""

    @functools.wraps(fn)  # keeps jinja_pass_arg (pass_context / pass_eval_context)
    def metered(*args: Any, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        _charge_size(result)
        return result

    return metered


def _build_environment() -> SandboxedEnvironment:
    env = _Sandbox(loader=BaseLoader())
    env.filters.update(_guarded_filters(env))
    env.filters.update(FILTERS)
    env.filters = {name: _metered_filter(fn) for name, fn in env.filters.items()}
    env.filters.update({METER_ITER: _metered_iter, METER_OUTPUT: _metered_output, METER_VALUE: _metered_value})
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


def _generate(template: Any, context: dict[str, Any], limit: int) -> str:
    """The output, collected only until it is longer than `limit` (the rest is never rendered)."""
    parts: list[str] = []
    size = 0
    for chunk in template.generate(**context):
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return "".join(parts)


def render(text: str, context: dict[str, Any], *, max_length: int | None = None) -> Rendered:
    compiled = _checked(text)
    if compiled.error:
        return Rendered(text=None, error=compiled.error)
    settings = get_settings()
    limit = max_length or settings.jinja_result_max_length
    seconds = settings.jinja_render_cpu_seconds
    alert = _ALERT_BUDGET.get()
    if alert is not None:
        left = alert.left()
        if left <= 0:
            alert.exhausted = True
            return Rendered(
                text=None, error=f"Template Error: the alert's template budget ({alert.seconds:g} s) is spent"
            )
        seconds = min(seconds, left)
    metered = _Budget(settings.jinja_render_max_work, seconds)
    budget = _BUDGET.set(metered)
    try:
        output = _generate(compiled.template, context, limit)
    except (TypeError, KeyError, ValueError, UndefinedError) as exc:
        return Rendered(text=None, error=f"Template Warning: {exc}")
    except MemoryError:
        return Rendered(text=None, error="Template Error: out of memory")
    except Exception as exc:  # noqa: BLE001 - a user template must never break ingestion
        if alert is not None and metered.left < 0:
            alert.exhausted = True
        return Rendered(text=None, error=f"Template Error: {exc}")
    finally:
        _BUDGET.reset(budget)
    return Rendered(text=_truncate(output, limit))


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
