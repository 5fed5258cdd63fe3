"""`oncall migrate`: move a Grafana OnCall setup (or another deployment's `oncall export`) here in one command.

Order (nothing is written before the last step): read the source → map it → read the destination and check
the token is an admin one → plan (users matched, renames from the state file, tokens checked) → show the plan
and what could not come across → confirm → apply → remember the names (state file) → list the new URLs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from oncall_cli.client import ApiError, OnCallClient
from oncall_cli.commands import refs
from oncall_cli.commands.apply import render_plan
from oncall_cli.config_apply import Applier, ApplyError, fetch_snapshot
from oncall_cli.config_as_code import (
    Change,
    ConfigFileError,
    Plan,
    Snapshot,
    dump_yaml,
    export_config,
    load_config,
    plan,
)
from oncall_cli.migrate import (
    Migration,
    MigrationState,
    OnCallV1Source,
    Report,
    SourceError,
    fit_to_destination,
    map_source,
    masked_values,
)
from oncall_cli.ui import EXIT_API_ERROR, EXIT_USAGE, client, console, errors, print_json

DEFAULT_STATE = ".oncall-migrate.json"


def _fail(message: str, code: int) -> typer.Exit:
    errors.print(f"[red]{_escape(message)}[/red]")
    return typer.Exit(code)


def _escape(text: str) -> str:
    return text.replace("[", "\\[")


def _from_file(path: str) -> Migration:
    text = refs.read_text(path, "--from-file")
    try:
        config = load_config(text, "<stdin>" if path == "-" else Path(path).name)
    except ConfigFileError as error:
        errors.print(f"[red]{path} is not a valid configuration:[/red]")
        for problem in error.problems:
            errors.print(f"  {problem}", markup=False, highlight=False)
        raise typer.Exit(EXIT_USAGE) from error
    report = Report()
    for integration in config.integrations or []:
        if not integration.token:
            report.add(
                f'integration "{integration.name}"',
                "the file gives no token: it gets a new URL",
                "export with this version's `oncall export` (it writes each integration's token)",
            )
    masked = masked_values(config)
    fix = (
        f"export the source with `oncall export --with-secrets -o {Path(path).name if path != '-' else 'FILE'}` "
        "(an admin token of the source) and migrate that file"
    )
    return Migration(config=config, report=report, masked=masked, masked_fix=fix)


def _read_source(from_url: str, from_token: str) -> Migration:
    source = OnCallV1Source(from_url, from_token)
    with errors.status("Reading the source…") as status:
        if source.is_this_service():
            return _from_this_service(source, from_url, from_token)
        data = source.read(progress=lambda resource: status.update(f"Reading the source: {resource}…"))
    if source.waited:
        errors.print(
            f"The source asked to slow down or failed {len(source.waited)} time(s); waited "
            f"{sum(source.waited):.0f} s in all.",
            style="dim",
        )
    return map_source(data)


def _from_this_service(source: OnCallV1Source, from_url: str, from_token: str) -> Migration:
    """Another deployment of this service: its own export (exact), read with the CLI's client."""
    other = OnCallClient(source.base.removesuffix("/api/v1"), from_token)
    try:
        try:  # secrets in clear: an admin source token may (audited by the source); others get 403
            snapshot = fetch_snapshot(other, reveal_secrets=True)
        except ApiError as error:
            if error.status != 403:
                raise
            snapshot = fetch_snapshot(other)  # masked: the plan refuses it, naming each masked value
        config = export_config(snapshot)
    except ApiError as error:
        raise SourceError(f"Reading the source deployment failed: {error}") from error
    report = Report()
    report.add(f"source {from_url}", "is a deployment of this service: its configuration is copied as exported")
    fix = "use an admin token of the source deployment as --from-token (only admin tokens may read secrets)"
    return Migration(config=config, report=report, masked=masked_values(config), masked_fix=fix)


def _refuse_masked(migration: Migration) -> None:
    """Checked at the plan, before any write: a copy without its secrets would be half a deployment (and a
    masked value is refused by the destination's API half-way through an apply)."""
    if not migration.masked:
        return
    errors.print(
        f"[red]{len(migration.masked)} secret(s) of the source are masked, so they cannot be copied "
        "(nothing was changed):[/red]"
    )
    for value in migration.masked:
        errors.print(f"  {value}", markup=False, highlight=False)
    errors.print(f"To fix: {_escape(migration.masked_fix)}.")
    raise typer.Exit(EXIT_USAGE)


def _warn_masked(migration: Migration) -> None:
    if migration.masked:
        errors.print(
            f"[yellow]{len(migration.masked)} secret(s) of the source are masked in this file: applying it would "
            f"not carry them. To fix: {_escape(migration.masked_fix)}.[/yellow]"
        )


def render_report(report: Report) -> None:
    if report.gaps:
        console.print(f"Not carried over exactly ({len(report.gaps)}):")
        for gap in report.gaps:
            instead = f"  → instead: {gap.instead}" if gap.instead else ""
            console.print(f"  ! {gap.what}: {gap.detail}{instead}", markup=False, highlight=False)


def integration_base(api: OnCallClient) -> str:
    """Where this deployment's integration URLs live, as its API shows them: by default the ingest function's own
    URL, which is not the API's host (decision 80). The API's URL when it has no integration to show one."""
    for integration in api.list_all("integrations"):
        head, found, _ = str(integration.get("link") or "").partition("/integrations/v1/")
        if found:
            return head
    return api.url.rstrip("/")


def render_urls(report: Report, base_url: str, migration: Migration) -> None:
    rows = dict(report.urls)
    for integration in migration.config.integrations or []:
        if integration.name not in rows and integration.token:
            rows[integration.name] = (f"/integrations/v1/{integration.type}/{integration.token}/", None)
    if not rows:
        return
    console.print("Integration URLs here (senders change only the host):")
    for name, (path, heartbeat) in rows.items():
        console.print(f"  {name}: {base_url}{path}", markup=False, highlight=False)
        if heartbeat:
            console.print(f"    heartbeat (pingers must change it): {base_url}{heartbeat}", markup=False)


def _check_admin(api: OnCallClient) -> None:
    """Integrations keep their tokens only through an admin token: find out before planning."""
    try:
        api.request("GET", "tokens")
    except ApiError as error:
        if error.status == 403:
            raise _fail(
                "The destination token is not an admin token: keeping integration tokens needs one "
                "(the deployment's admin token, or `oncall tokens create --role admin`). Nothing was changed.",
                EXIT_API_ERROR,
            ) from error
        if error.status == 401:
            raise _fail(f"The destination refused the token ({error}). Nothing was changed.", EXIT_API_ERROR) from error
        raise _fail(f"Cannot use the destination: {error}. Nothing was changed.", EXIT_API_ERROR) from error


def _show(result: Plan, report: Report, as_json: bool, *, final: bool) -> None:
    if as_json:
        if final:
            print_json({"plan": result.to_json(), "report": [g.to_json() for g in report.gaps], "applied": 0})
        return
    render_plan(result, console)
    render_report(report)


def _apply(api: OnCallClient, snapshot: Snapshot, result: Plan, *, yes: bool, as_json: bool) -> int:
    if result.empty:
        if not as_json:
            console.print("Nothing to change: this deployment already matches the source.")
        return 0
    if not yes:
        if not sys.stdin.isatty():
            raise _fail("Not applied: confirm with --yes when not running in a terminal.", EXIT_USAGE)
        if not typer.confirm("Apply these changes?", default=False, err=True):
            raise _fail("Nothing applied.", EXIT_API_ERROR)
    out = errors if as_json else console

    def progress(change: Change, done: int, total: int) -> None:
        out.print(f'  \\[{done}/{total}] {change.action}d {change.kind.label} "{_escape(change.name)}"')

    try:
        return Applier(api, snapshot, progress).apply(result)
    except ApplyError as error:
        raise _fail(str(error), EXIT_API_ERROR) from error


def migrate(
    from_url: Annotated[
        str | None, typer.Option("--from-url", help="The OnCall instance (its base URL or its /api/v1 URL).")
    ] = None,
    from_token: Annotated[
        str | None, typer.Option("--from-token", envvar="ONCALL_SOURCE_TOKEN", help="An OnCall API token.")
    ] = None,
    from_file: Annotated[
        str | None, typer.Option("--from-file", help="An `oncall export` file of another deployment instead.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan and the report only.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
    export_only: Annotated[
        bool, typer.Option("--export-only", help="Write the configuration file instead of applying (with -o).")
    ] = False,
    output: Annotated[str | None, typer.Option("--output", "-o", help="With --export-only: the file.")] = None,
    no_create_users: Annotated[
        bool,
        typer.Option("--no-create-users", help="Do not create users missing here: report them (and drop them)."),
    ] = False,
    state: Annotated[
        str, typer.Option("--state", help="Where source ids → names are kept between runs.")
    ] = DEFAULT_STATE,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan, report and result as JSON.")] = False,
) -> None:
    """Copy a Grafana OnCall setup here through its public API v1, keeping every integration's URL token.

    Shows the plan and what cannot come across first (--dry-run stops there), then applies it like
    `oncall apply`. Re-running updates, never duplicates. The destination is ONCALL_URL / ONCALL_TOKEN (or
    `oncall login`) and must be an admin token."""
    if (from_url is None) == (from_file is None):
        raise _fail("Give the source: --from-url URL --from-token TOKEN, or --from-file FILE.", EXIT_USAGE)
    if from_url is not None and not from_token:
        raise _fail("--from-url needs --from-token (or ONCALL_SOURCE_TOKEN).", EXIT_USAGE)
    if output is not None and not export_only:
        raise _fail("-o/--output goes with --export-only.", EXIT_USAGE)
    try:
        migration = _from_file(from_file) if from_file is not None else _read_source(from_url or "", from_token or "")
    except SourceError as error:
        raise _fail(f"{error} Nothing was changed.", EXIT_API_ERROR) from error
    source_key = from_url.rstrip("/") if from_url else f"file:{Path(from_file or '-').name}"

    if export_only:
        _warn_masked(migration)
        text = dump_yaml(migration.config)
        if output is None:
            sys.stdout.write(text)
        else:
            Path(output).write_text(text)
            console.print(f"Wrote {output}: apply it with `oncall apply -f {output}` (an admin token keeps the URLs).")
        out_report = render_report if output is not None else (lambda _r: None)
        out_report(migration.report)
        return

    api = client()
    _check_admin(api)
    try:
        state_file = MigrationState.load(Path(state))
    except SourceError as error:
        raise _fail(str(error), EXIT_USAGE) from error
    with errors.status("Reading the destination…"):
        snapshot = fetch_snapshot(api, windows_for=lambda _integration: False)
    current = export_config(snapshot)
    desired = fit_to_destination(
        migration, current, previous=state_file.names(source_key), create_users=not no_create_users
    )
    result = plan(desired, current)
    refused = bool(result.problems or migration.masked)
    _show(result, migration.report, as_json, final=refused or dry_run)
    _refuse_masked(migration)
    if result.problems:
        errors.print("[red]The source does not fit this deployment (nothing was changed):[/red]")
        for problem in result.problems:
            errors.print(f"  {problem}", markup=False, highlight=False)
        raise typer.Exit(EXIT_USAGE)
    if dry_run:
        return
    applied = _apply(api, snapshot, result, yes=yes, as_json=as_json)
    if migration.names:
        state_file.save(source_key, migration.names)
    if as_json:
        body = {"plan": result.to_json(), "report": [g.to_json() for g in migration.report.gaps]}
        print_json({**body, "applied": applied, "urls": {k: v[0] for k, v in migration.report.urls.items()}})
        return
    if applied:
        console.print(f"Applied {applied} change{'s' if applied != 1 else ''}.")
    render_urls(migration.report, integration_base(api), migration)
