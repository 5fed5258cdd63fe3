"""What every command shares: the consoles, exit codes, error handling, tables, JSON output and parsers.

Exit codes scripts can rely on: 0 success, 1 the API refused or failed (or could not be reached), 2 a usage or
configuration error (bad option, not configured, invalid file), 3 not found (an unknown id or name).
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from oncall_cli.client import ApiError, ConfigurationError, OnCallClient

PIPED_WIDTH = 200


def _console(*, stderr: bool = False) -> Console:
    """A terminal gets its own width; piped output (grep, a file, a test) is not cut at Rich's default 80
    columns, so ids and URLs in tables stay whole (scripts should still prefer --json)."""
    result = Console(stderr=stderr)
    if not result.is_terminal and not os.environ.get("COLUMNS"):
        result.width = PIPED_WIDTH
    return result


console = _console()
errors = _console(stderr=True)

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts) instead of a table.")]


class UsageError(Exception):
    """A problem with what the user asked for (exit code 2), found after option parsing."""


def exit_code_for(error: ApiError) -> int:
    return EXIT_NOT_FOUND if error.not_found else EXIT_API_ERROR


def command(group: typer.Typer, name: str | None = None, **options: Any) -> Callable:
    """Register a command whose API, configuration and usage errors become a message and an exit code."""

    def register(function: Callable) -> Callable:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except ApiError as error:
                errors.print(f"[red]{_escape(str(error))}[/red]")
                raise typer.Exit(exit_code_for(error)) from error
            except (ConfigurationError, UsageError) as error:
                errors.print(f"[red]{_escape(str(error))}[/red]")
                raise typer.Exit(EXIT_USAGE) from error

        return group.command(name, **options)(run)

    return register


def _escape(text: str) -> str:
    return text.replace("[", "\\[")


def client() -> OnCallClient:
    return OnCallClient()


def print_json(payload: Any) -> None:
    print(json.dumps(payload, indent=2, ensure_ascii=False))


def show(payload: Any, as_json: bool, render: Callable[[Any], None]) -> None:
    if as_json:
        print_json(payload)
    else:
        render(payload)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    return json.dumps(value, ensure_ascii=False)


def table(rows: list[dict[str, Any]], columns: list[str], *, title: str | None = None) -> Table:
    result = Table(*columns, title=title)
    for row in rows:
        result.add_row(*(_escape(cell(row.get(c))) for c in columns))
    return result


def details(obj: dict[str, Any], keys: list[str] | None = None) -> Table:
    result = Table("field", "value", show_header=False)
    for key in keys or list(obj):
        result.add_row(key, _escape(cell(obj.get(key))))
    return result


def print_table(rows: list[dict[str, Any]], columns: list[str], empty: str = "(none)") -> None:
    console.print(table(rows, columns) if rows else empty)


def label_pairs(values: list[str] | None, option: str = "--label") -> dict[str, str]:
    """Labels as KEY=VALUE or KEY:VALUE (both are accepted in every command: OnCall's API writes
    key:value in label filters). The first `=` or `:` separates; the value may contain either."""
    result: dict[str, str] = {}
    for value in values or []:
        cuts = [i for i in (value.find("="), value.find(":")) if i > 0]
        if not cuts:
            raise typer.BadParameter(f"expected KEY=VALUE (or KEY:VALUE), got {value!r}", param_hint=option)
        result[value[: min(cuts)]] = value[min(cuts) + 1 :]
    return result


YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking for confirmation.")]


def _interactive() -> bool:
    return sys.stdin.isatty()


def confirm_delete(what: str, yes: bool) -> None:
    """Deletes ask first on a terminal. Without one (a script, CI) they need --yes: a non-zero exit and a
    message, never a silent delete."""
    if yes:
        return
    if not _interactive():
        raise UsageError(f"Not deleting {what}: there is no terminal to confirm on. Pass --yes to delete.")
    if not typer.confirm(f"Delete {what}?", default=False):
        errors.print("Not deleted.")
        raise typer.Exit(EXIT_API_ERROR)


def pairs(values: list[str] | None, option: str, separator: str = "=") -> dict[str, str]:
    """NAME=VALUE options into a dict (a bad one is a usage error: exit code 2)."""
    result: dict[str, str] = {}
    for value in values or []:
        name, found, rest = value.partition(separator)
        if not found or not name:
            raise typer.BadParameter(f"expected NAME{separator}VALUE, got {value!r}", param_hint=option)
        result[name] = rest
    return result


def json_object(text: str, option: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise typer.BadParameter(f"not JSON: {error}", param_hint=option) from error
    if not isinstance(value, dict):
        raise typer.BadParameter("must be a JSON object", param_hint=option)
    return value


# ------------------------------------------------------------------------------------------ durations
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(value: str | int) -> int:
    """`90`, `90s`, `10m`, `1h30m`, `2d`, `1w` -> seconds. ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int):
        return value
    text = str(value).strip().lower().replace(" ", "")
    if text.isdigit():
        return int(text)
    match = _DURATION.match(text)
    if not text or not match or not any(match.groups()):
        raise ValueError(f"{value!r} is not a duration (e.g. 90s, 10m, 1h30m, 2d)")
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds


def format_duration(seconds: int) -> str:
    """Seconds as the shortest exact `1h30m` form (`0s` for zero)."""
    if seconds <= 0:
        return f"{seconds}s"
    parts, rest = [], seconds
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts)


def seconds_option(value: str | None, option: str) -> int | None:
    """A duration option (a bad value is a usage error: exit code 2)."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=option) from None
