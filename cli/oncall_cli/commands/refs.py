"""Resolving what the user typed (an id or a name) into ids, and ids back into names for tables."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

import typer

from oncall_cli.client import ApiError, OnCallClient, not_found
from oncall_cli.ui import json_object

USER_NAMES = ("username", "email")


def integration(client: OnCallClient, reference: str) -> dict[str, Any]:
    return client.find("integrations", reference)


def chain(client: OnCallClient, reference: str) -> dict[str, Any]:
    return client.find("escalation_chains", reference)


def team(client: OnCallClient, reference: str) -> dict[str, Any]:
    """A team by id or name; a missing one says how to create it."""
    try:
        return client.find("teams", reference)
    except ApiError as error:
        if not error.not_found:
            raise
        hint = f"No team with id or name {reference!r}. Create it with: oncall teams create --name {_quoted(reference)}"
        raise not_found(hint) from None


def _quoted(text: str) -> str:
    return shlex.quote(text)


def user(client: OnCallClient, reference: str) -> dict[str, Any]:
    return client.find("users", reference, names=USER_NAMES)


def schedule(client: OnCallClient, reference: str) -> dict[str, Any]:
    return client.find("schedules", reference)


def webhook(client: OnCallClient, reference: str) -> dict[str, Any]:
    return client.find("webhooks", reference)


def names(client: OnCallClient, resource: str, field: str = "name") -> dict[str, str]:
    """id -> name of every object of `resource`."""
    return {o["id"]: o[field] for o in client.list_all(resource)}


def optional_id(client: OnCallClient, resource: str, reference: str | None) -> str | None:
    """An id for an option where "" or "none" means "no reference" (null)."""
    if reference is None or reference.strip().lower() in ("", "none", "null"):
        return None
    if resource == "teams":
        return team(client, reference)["id"]
    return client.find(resource, reference, names=USER_NAMES if resource == "users" else ("name",))["id"]


def read_text(path: str, option: str) -> str:
    """A file's text; `-` reads standard input."""
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text()
    except OSError as error:
        raise typer.BadParameter(f"cannot read {path}: {error.strerror}", param_hint=option) from None


def payload_file(path: str | None, option: str = "--payload") -> dict[str, Any] | None:
    return None if path is None else json_object(read_text(path, option), option)
