"""`oncall login|logout|status`, `oncall tokens` and `oncall settings`."""

from __future__ import annotations

import contextlib
import os
from typing import Annotated, Any

import typer

from oncall_cli import config
from oncall_cli.client import ApiError, OnCallClient, find_in
from oncall_cli.ui import (
    EXIT_API_ERROR,
    JsonOption,
    UsageError,
    YesOption,
    client,
    command,
    confirm_delete,
    console,
    details,
    errors,
    print_json,
    print_table,
    show,
)

tokens_app = typer.Typer(help="API tokens: who may use the API, with which role.", no_args_is_help=True)
settings_app = typer.Typer(help="Deployment-wide settings (acknowledge reminders).", no_args_is_help=True)


def _verify(api: OnCallClient) -> dict[str, Any]:
    """One authenticated request anyone may make; raises ApiError if the URL or token is wrong."""
    return api.request("GET", "settings")


def login(
    url: Annotated[str | None, typer.Option(help="Base URL (default: $ONCALL_URL, else asked).")] = None,
    token: Annotated[str | None, typer.Option(help="API token (default: $ONCALL_TOKEN, else asked, hidden).")] = None,
) -> None:
    """Check a URL and token with a request, then store them for later commands (0600 file)."""
    url = url or os.environ.get("ONCALL_URL") or typer.prompt("OnCall URL")
    token = token or os.environ.get("ONCALL_TOKEN") or typer.prompt("API token", hide_input=True)
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"{url!r} is not an http(s) URL.")
    try:
        _verify(OnCallClient(url, token.strip()))
    except ApiError as error:
        errors.print(f"[red]Login failed, nothing stored: {error}[/red]")
        raise typer.Exit(EXIT_API_ERROR) from error
    path = config.write_file(url, token.strip())
    console.print(f"Logged in to {url}. Stored in {path} (readable only by you).")
    if os.environ.get("ONCALL_URL") or os.environ.get("ONCALL_TOKEN"):
        errors.print("Note: ONCALL_URL / ONCALL_TOKEN are set and take precedence over the file.", style="yellow")


def logout() -> None:
    """Forget the stored URL and token."""
    path = config.config_path()
    console.print(f"Removed {path}." if config.remove_file(path) else f"Nothing stored ({path} does not exist).")


def status(as_json: JsonOption = False) -> None:
    """Where the CLI connects (and from which setting), and whether the API answers."""
    api = client()
    info: dict[str, Any] = {"url": api.url, "configured_by": api.source, "token": f"{api.token[:4]}…"}
    try:
        _verify(api)
        info["api"] = "ok"
    except ApiError as error:
        info["api"] = str(error)
    else:
        with contextlib.suppress(ApiError):  # /info is newer than the rest of the API
            info["server"] = api.request("GET", "info")
    show(info, as_json, lambda i: console.print(details(i)))
    if info["api"] != "ok":
        raise typer.Exit(EXIT_API_ERROR)


# ------------------------------------------------------------------------------------------ tokens
def _tokens_unsupported(error: ApiError) -> ApiError:
    if error.status in (404, 405):
        return ApiError(405, {"detail": f"This deployment's API has no token management yet ({error})."})
    return error


def _all_tokens(api: OnCallClient) -> list[dict[str, Any]]:
    try:
        return api.list_all("tokens")
    except ApiError as error:
        raise _tokens_unsupported(error) from error


@command(tokens_app, "list")
def tokens_list(as_json: JsonOption = False) -> None:
    """List API tokens (never their secret)."""
    rows = _all_tokens(client())
    show(rows, as_json, lambda r: print_table(r, ["id", "name", "role", "user_id", "created_at"]))


@command(tokens_app, "create")
def tokens_create(
    name: Annotated[str, typer.Option(help="What the token is for.")],
    role: Annotated[str, typer.Option(help="viewer, editor or admin.")] = "editor",
    user: Annotated[str | None, typer.Option(help="Act as this user (id or username), e.g. for acknowledging.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API token. Its secret is shown once: store it now."""
    api = client()
    body: dict[str, Any] = {"name": name, "role": role}
    if user:
        body["user_id"] = api.find("users", user, names=("username", "email"))["id"]
    try:
        created = api.request("POST", "tokens", json=body)
    except ApiError as error:
        raise _tokens_unsupported(error) from error
    if as_json:
        print_json(created)
        return
    console.print(
        f"Created token [bold]{created.get('name')}[/bold] ({created.get('id')}), role {created.get('role')}."
    )
    console.print(f"Token (shown only now): {created.get('token')}", markup=False, highlight=False)


@command(tokens_app, "delete")
def tokens_delete(token: Annotated[str, typer.Argument(help="Token id or name.")], yes: YesOption = False) -> None:
    """Revoke an API token."""
    api = client()
    tokens = _all_tokens(api)
    found = find_in(tokens, token, "tokens")
    confirm_delete(f"token {found.get('name')} ({found['id']})", yes)
    try:
        api.request("DELETE", f"tokens/{found['id']}")
    except ApiError as error:
        raise _tokens_unsupported(error) from error
    console.print(f"Revoked token {found.get('name')} ({found['id']}).")


# ------------------------------------------------------------------------------------------ settings
@command(settings_app, "show")
def settings_show(as_json: JsonOption = False) -> None:
    """Show the deployment settings."""
    show(client().request("GET", "settings"), as_json, lambda s: console.print(details(s)))


@command(settings_app, "set")
def settings_set(
    acknowledge_remind_timeout: Annotated[
        int | None,
        typer.Option("--acknowledge-remind-timeout", help="Minutes after an acknowledgement to remind (0: off)."),
    ] = None,
    unacknowledge_timeout: Annotated[
        int | None,
        typer.Option("--unacknowledge-timeout", help="Minutes without confirmation to unacknowledge (0: off)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change deployment settings (admin tokens only)."""
    body = {
        k: v
        for k, v in (
            ("acknowledge_remind_timeout", acknowledge_remind_timeout),
            ("unacknowledge_timeout", unacknowledge_timeout),
        )
        if v is not None
    }
    if not body:
        raise typer.BadParameter("nothing to change (see --help)", param_hint="options")
    show(client().request("PUT", "settings", json=body), as_json, lambda s: console.print(details(s)))
