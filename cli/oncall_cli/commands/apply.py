"""`oncall apply|plan|export`: configuration as code (see config_as_code.py for the file's semantics)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from oncall.platform.masking import mask_url
from oncall_cli.client import ApiError, OnCallClient
from oncall_cli.commands import refs
from oncall_cli.config_apply import Applier, ApplyError, fetch_snapshot
from oncall_cli.config_as_code import (
    MASK,
    MISSING,
    Change,
    Config,
    ConfigFileError,
    Plan,
    dump_yaml,
    export_config,
    load_config,
    plan,
    shown_value,
)
from oncall_cli.ui import EXIT_API_ERROR, EXIT_USAGE, client, console, errors, print_json

FileOption = Annotated[str, typer.Option("--file", "-f", help="The configuration file (- reads standard input).")]
PruneOption = Annotated[
    bool, typer.Option("--prune", help="Also delete what the file's sections do not declare (never otherwise).")
]
SecretsOption = Annotated[
    bool,
    typer.Option(
        "--update-secrets", help="Send the file's real secrets even where their masked form matches what is stored."
    ),
]
JsonPlanOption = Annotated[bool, typer.Option("--json", help="Print the plan (and result) as JSON.")]
_SYMBOLS = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red")}


def _load(path: str) -> Config:
    text = refs.read_text(path, "--file")
    try:
        return load_config(text, "<stdin>" if path == "-" else Path(path).name)
    except ConfigFileError as error:
        errors.print(f"[red]{path} is not a valid configuration:[/red]")
        for problem in error.problems:
            errors.print(f"  {problem}", markup=False, highlight=False)
        raise typer.Exit(EXIT_USAGE) from error


def _declared_windows(desired: Config) -> set[str]:
    names: set[str] = set()
    for integration in desired.integrations or []:
        if integration.maintenance_windows is not None:
            names.add(integration.name)
            if integration.renamed_from:
                names.add(integration.renamed_from)
    return names


def _plan(api: OnCallClient, desired: Config, prune: bool, update_secrets: bool, out: Console):
    wanted = _declared_windows(desired)
    with out.status("Reading the deployment…"):
        snapshot = fetch_snapshot(api, windows_for=lambda i: i["name"] in wanted)
    return snapshot, plan(desired, export_config(snapshot), prune=prune, update_secrets=update_secrets)


def _value(value: Any, secret: bool, width: int = 70) -> str:
    if value is MISSING:
        return "(none)"
    text = json.dumps(shown_value(value, secret), ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def render_plan(result: Plan, out: Console) -> None:
    counts = result.counts()
    out.print(
        f"Plan: [green]{counts['create']} to create[/green], [yellow]{counts['update']} to update[/yellow], "
        f"[red]{counts['delete']} to delete[/red]."
    )
    for change in result.changes:
        symbol, style = _SYMBOLS[change.action]
        renamed = f' (renamed from "{change.current_name}")' if change.renamed else ""
        label = "" if change.kind.label == "settings" else f' [bold]"{_escape(change.name)}"[/bold]'
        out.print(f"  [{style}]{symbol} {change.kind.label}{label}{renamed}[/{style}]")
        if change.action == "create" and change.desired is not None and change.kind.label != "settings":
            summary = change.desired.model_dump(mode="json", exclude_defaults=True)
            summary.pop(change.kind.key, None)
            if summary:
                out.print(f"      {_value(_masked(summary), False, 100)}", style="dim", markup=False, highlight=False)
        for diff in change.diffs:
            old, new = _value(diff.old, diff.secret), _value(diff.new, diff.secret)
            out.print(f"      {diff.path}: {old} → {new}", markup=False, highlight=False)
    if result.notes:
        for note in result.notes:
            out.print(f"  note: {note}", style="dim", markup=False, highlight=False)
    if result.unmanaged:
        left = ", ".join(
            f"{len(names)} {kind}{'s' if len(names) > 1 else ''}" for kind, names in result.unmanaged.items()
        )
        out.print(f"Left alone (not in the file; --prune would delete them): {left}.", style="dim")


def _masked(summary: dict[str, Any]) -> dict[str, Any]:
    """A create's summary without secrets (contacts, iCal URL, webhook credentials)."""
    for key in ("password", "authorization_header"):
        if summary.get(key) and MASK not in summary[key]:
            summary[key] = "****************"
    if isinstance(summary.get("contacts"), dict):
        summary["contacts"] = {k: mask_url(v) for k, v in summary["contacts"].items()}
    if summary.get("ical_url"):
        summary["ical_url"] = mask_url(summary["ical_url"])
    return summary


def _escape(text: str) -> str:
    return text.replace("[", "\\[")


def _problems(result: Plan, as_json: bool) -> None:
    if result.problems and as_json:
        print_json({"plan": result.to_json(), "applied": 0})
    if result.problems:
        errors.print("[red]The file does not fit the deployment:[/red]")
        for problem in result.problems:
            errors.print(f"  {problem}", markup=False, highlight=False)
        raise typer.Exit(EXIT_USAGE)


def apply(
    file: FileOption,
    prune: PruneOption = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan only.")] = False,
    update_secrets: SecretsOption = False,
    as_json: JsonPlanOption = False,
) -> None:
    """Make the deployment match a YAML file (plan, confirm, apply).

    Shows the plan, asks (unless --yes), then applies in dependency order. Idempotent: a second apply of the
    same file plans nothing. Sections the file leaves out are not touched; --prune deletes what a present
    section does not declare."""
    desired = _load(file)
    api = client()
    out = errors if as_json else console  # with --json, stdout is for the JSON only
    snapshot, result = _plan(api, desired, prune, update_secrets, out)
    _problems(result, as_json)
    if as_json and (dry_run or result.empty):
        print_json({"plan": result.to_json(), "applied": 0})
        return
    if not as_json:
        render_plan(result, console)
    if result.empty:
        console.print("Nothing to change: the deployment matches the file.")
        return
    if dry_run:
        return
    if not yes:
        if not sys.stdin.isatty():
            errors.print("[red]Not applied: confirm with --yes when not running in a terminal.[/red]")
            raise typer.Exit(EXIT_USAGE)
        if not typer.confirm("Apply these changes?", default=False, err=True):
            errors.print("Nothing applied.")
            raise typer.Exit(EXIT_API_ERROR)

    def progress(change: Change, done: int, total: int) -> None:
        symbol, style = _SYMBOLS[change.action]
        label = "" if change.kind.label == "settings" else f' "{_escape(change.name)}"'
        what = f"{change.action}d {change.kind.label}{label}"
        out.print(f"  \\[{done}/{total}] [{style}]{symbol}[/{style}] {what}")

    try:
        applied = Applier(api, snapshot, progress).apply(result)
    except ApplyError as error:
        errors.print(f"[red]{_escape(str(error))}[/red]")
        raise typer.Exit(EXIT_API_ERROR) from error
    if as_json:
        print_json({"plan": result.to_json(), "applied": applied})
    else:
        console.print(f"Applied {applied} change{'s' if applied != 1 else ''}.")


def plan_command(
    file: FileOption,
    prune: PruneOption = False,
    update_secrets: SecretsOption = False,
    as_json: JsonPlanOption = False,
) -> None:
    """Show what `apply` would change (same as `apply --dry-run`)."""
    apply(file, prune=prune, yes=False, dry_run=True, update_secrets=update_secrets, as_json=as_json)


def export(
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")] = None,
    with_secrets: Annotated[
        bool,
        typer.Option(
            "--with-secrets",
            help="Include secrets in clear (contact, channel and iCal URLs, webhook URLs, headers and credentials),"
            " to move the deployment with `oncall migrate --from-file`. Needs an admin token; the deployment "
            "audits it. The file then HOLDS SECRETS: it is written 0600; keep it safe and delete it after use.",
        ),
    ] = False,
) -> None:
    """Write the deployment's configuration as an `oncall apply` file (secrets masked unless --with-secrets)."""
    api = client()
    out = errors if output is None else console
    try:
        with out.status("Reading the deployment…"):
            snapshot = fetch_snapshot(api, reveal_secrets=with_secrets)
    except ApiError as error:
        if with_secrets and error.status == 403:
            errors.print(f"[red]--with-secrets needs an admin token ({error}).[/red]")
            raise typer.Exit(EXIT_API_ERROR) from error
        raise
    text = dump_yaml(export_config(snapshot))
    if output is None:
        sys.stdout.write(text)
        return
    _write_private(Path(output), text) if with_secrets else Path(output).write_text(text)
    config = export_config(snapshot)
    counts = {
        "team": config.teams,
        "user": config.users,
        "schedule": config.schedules,
        "webhook": config.webhooks,
        "escalation chain": config.escalation_chains,
        "integration": config.integrations,
    }
    summary = ", ".join(f"{len(v or [])} {k}{'' if len(v or []) == 1 else 's'}" for k, v in counts.items())
    console.print(f"Wrote {output}: {summary}.")


def _write_private(path: Path, text: str) -> None:
    """Write `text` readable by its owner only (0600 from creation, and tightened if the file existed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
