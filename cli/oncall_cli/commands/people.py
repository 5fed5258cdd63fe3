"""`oncall users|teams|schedules`: who can be paged, and when."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import typer

from oncall_cli.commands import refs
from oncall_cli.ui import (
    JsonOption,
    YesOption,
    client,
    command,
    confirm_delete,
    console,
    details,
    errors,
    pairs,
    print_json,
    print_table,
    seconds_option,
    show,
    table,
)

users_app = typer.Typer(help="Users: who can be paged, their contacts and notification rules.", no_args_is_help=True)
teams_app = typer.Typer(help="Teams.", no_args_is_help=True)
schedules_app = typer.Typer(help="On-call schedules: rotations, overrides, iCal feeds.", no_args_is_help=True)

UserArg = Annotated[str, typer.Argument(help="User id, username or e-mail.")]
TeamArg = Annotated[str, typer.Argument(help="Team id or name.")]
ScheduleArg = Annotated[str, typer.Argument(help="Schedule id or name.")]
ContactOption = Annotated[
    list[str] | None, typer.Option("--contact", help="NAME=URL, repeatable: slack=slack://…, sms=sns-sms://+1555…")
]
RuleHelp = "notify:CONTACT or wait:DURATION, repeatable, in order (replaces the rules; 'none' clears them)."
DefaultRuleOption = Annotated[list[str] | None, typer.Option("--default-rule", help=RuleHelp)]
ImportantRuleOption = Annotated[list[str] | None, typer.Option("--important-rule", help="Same, for important steps.")]
TeamsOption = Annotated[list[str] | None, typer.Option("--team", help="Team id or name, repeatable.")]


def _rules(values: list[str] | None, option: str) -> list[dict[str, Any]] | None:
    """`notify:slack`, `wait:5m` -> the API's rule steps."""
    if values is None:
        return None
    rules: list[dict[str, Any]] = []
    for value in values:
        if value.strip().lower() == "none":
            continue
        kind, _, argument = value.partition(":")
        if kind == "notify" and argument:
            rules.append({"type": "notify", "contact": argument})
        elif kind == "wait" and argument:
            rules.append({"type": "wait", "duration": seconds_option(argument, option)})
        else:
            raise typer.BadParameter(f"expected notify:CONTACT or wait:DURATION, got {value!r}", param_hint=option)
    return rules


def _describe_rules(rules: list[dict[str, Any]]) -> str:
    return ", ".join(f"notify {r['contact']}" if r["type"] == "notify" else f"wait {r['duration']} s" for r in rules)


def _user_fields(api, email, phone, timezone, teams, default_rule, important_rule) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if email is not None:
        body["email"] = email or None
    if phone is not None:
        body["phone"] = phone or None
    if timezone is not None:
        body["timezone"] = timezone
    if teams is not None:
        body["teams"] = [refs.team(api, t)["id"] for t in teams if t.lower() != "none"]
    if (rules := _rules(default_rule, "--default-rule")) is not None:
        body["default_rules"] = rules
    if (rules := _rules(important_rule, "--important-rule")) is not None:
        body["important_rules"] = rules
    return body


def _show_user(user: dict[str, Any], as_json: bool) -> None:
    def render(u: dict[str, Any]) -> None:
        console.print(
            details(
                {
                    **u,
                    "default_rules": _describe_rules(u["default_rules"]) or "(every contact once)",
                    "important_rules": _describe_rules(u["important_rules"]) or "(every contact once)",
                },
                ["id", "username", "name", "email", "phone", "timezone", "teams", "contacts"]
                + ["default_rules", "important_rules"],
            )
        )

    show(user, as_json, render)


@command(users_app, "list")
def users_list(as_json: JsonOption = False) -> None:
    """List users."""
    rows = client().list_all("users")
    show(
        rows,
        as_json,
        lambda r: print_table(
            [{**u, "teams": ", ".join(u["teams"]), "contacts": ", ".join(u["contacts"])} for u in r],
            ["id", "username", "name", "email", "timezone", "teams", "contacts"],
        ),
    )


@command(users_app, "create")
def users_create(
    username: Annotated[str, typer.Option(help="Unique; iCal feeds may name people by it.")],
    email: Annotated[str | None, typer.Option(help="E-mail address (unique).")] = None,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    timezone: Annotated[str, typer.Option(help="IANA time zone, like Europe/Paris.")] = "UTC",
    phone: Annotated[str | None, typer.Option(help="E.164 phone number, like +15551234567.")] = None,
    contact: ContactOption = None,
    team: TeamsOption = None,
    default_rule: DefaultRuleOption = None,
    important_rule: ImportantRuleOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a user. Without rules, every contact is notified once."""
    contacts = pairs(contact, "--contact")
    api = client()
    body: dict[str, Any] = {"username": username, "name": name, "timezone": timezone, "contacts": contacts}
    body.update(_user_fields(api, email, phone, None, team or [], default_rule, important_rule))
    created = api.request("POST", "users", json=body)
    show(created, as_json, lambda u: console.print(f"Created user [bold]{u['username']}[/bold] ({u['id']})"))


@command(users_app, "get")
def users_get(user: UserArg, as_json: JsonOption = False) -> None:
    """Show a user (contact URLs are masked)."""
    _show_user(refs.user(client(), user), as_json)


@command(users_app, "update")
def users_update(
    user: UserArg,
    username: Annotated[str | None, typer.Option(help="New username.")] = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    email: Annotated[str | None, typer.Option(help="E-mail address ('' removes it).")] = None,
    phone: Annotated[str | None, typer.Option(help="E.164 phone number ('' removes it).")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA time zone.")] = None,
    contact: Annotated[
        list[str] | None, typer.Option("--contact", help="NAME=URL, repeatable: adds or replaces that contact.")
    ] = None,
    remove_contact: Annotated[list[str] | None, typer.Option("--remove-contact", help="NAME, repeatable.")] = None,
    team: Annotated[
        list[str] | None, typer.Option("--team", help="Team id or name, repeatable: replaces the teams ('none').")
    ] = None,
    default_rule: DefaultRuleOption = None,
    important_rule: ImportantRuleOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change a user (only the options given change). Other contacts keep their stored secrets."""
    added = pairs(contact, "--contact")
    api = client()
    found = refs.user(api, user)
    body = _user_fields(api, email, phone, timezone, team, default_rule, important_rule)
    if username is not None:
        body["username"] = username
    if name is not None:
        body["name"] = name
    if added or remove_contact:
        # the masked URLs read back keep their stored secrets when sent again
        contacts = {k: v for k, v in found["contacts"].items() if k not in (remove_contact or [])}
        body["contacts"] = {**contacts, **added}
    if not body:
        raise typer.BadParameter("nothing to change (see --help)", param_hint="options")
    _show_user(api.request("PATCH", f"users/{found['id']}", json=body), as_json)


@command(users_app, "delete")
def users_delete(user: UserArg, yes: YesOption = False) -> None:
    """Delete a user (refused while a schedule or an escalation policy names them)."""
    api = client()
    found = refs.user(api, user)
    confirm_delete(f"user {found['username']} ({found['id']})", yes)
    api.request("DELETE", f"users/{found['id']}")
    console.print(f"Deleted user {found['username']} ({found['id']}).")


# ------------------------------------------------------------------------------------------ teams
@command(teams_app, "list")
def teams_list(as_json: JsonOption = False) -> None:
    """List teams."""
    rows = client().list_all("teams")
    show(rows, as_json, lambda r: print_table(r, ["id", "name", "email"]))


@command(teams_app, "get")
def teams_get(team: TeamArg, as_json: JsonOption = False) -> None:
    """Show a team and its members."""
    api = client()
    found = api.request("GET", f"teams/{refs.team(api, team)['id']}")
    if as_json:
        print_json(found)
        return
    usernames = refs.names(api, "users", "username")
    console.print(details({**found, "members": ", ".join(usernames.get(m, m) for m in found.get("members", []))}))


@command(teams_app, "create")
def teams_create(
    name: Annotated[str, typer.Option(help="Unique team name.")],
    email: Annotated[str | None, typer.Option(help="Team e-mail address.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a team (add people with `oncall users create|update --team`)."""
    body: dict[str, Any] = {"name": name, **({"email": email} if email else {})}
    created = client().request("POST", "teams", json=body)
    show(created, as_json, lambda t: console.print(f"Created team [bold]{t['name']}[/bold] ({t['id']})"))


@command(teams_app, "update")
def teams_update(
    team: TeamArg,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    email: Annotated[str | None, typer.Option(help="Team e-mail address ('' removes it).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Rename a team or change its e-mail."""
    if name is None and email is None:
        raise typer.BadParameter("nothing to change (see --help)", param_hint="options")
    api = client()
    found = refs.team(api, team)
    body = {
        "name": found["name"] if name is None else name,
        "email": found["email"] if email is None else email or None,
    }
    show(api.request("PUT", f"teams/{found['id']}", json=body), as_json, lambda t: console.print(details(t)))


@command(teams_app, "delete")
def teams_delete(team: TeamArg, yes: YesOption = False) -> None:
    """Delete a team (it is removed from its users and schedules)."""
    api = client()
    found = refs.team(api, team)
    confirm_delete(f"team {found['name']} ({found['id']})", yes)
    api.request("DELETE", f"teams/{found['id']}")
    console.print(f"Deleted team {found['name']} ({found['id']}).")


# ------------------------------------------------------------------------------------------ schedules
def _schedule_row(schedule: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {**schedule, "on_call_now": ", ".join(names.get(u, u) for u in schedule["on_call_now"]) or "(no one)"}


FromFileOption = Annotated[
    typer.FileText | None, typer.Option("--from-file", help="A JSON body (layers, overrides…); options override.")
]
RotationOption = Annotated[
    str | None, typer.Option(help="One rotation layer: comma-separated user ids or usernames, in order.")
]
FrequencyOption = Annotated[str, typer.Option(help="hourly, daily, weekly or custom.")]
StartOption = Annotated[str | None, typer.Option(help="First handoff, local time (2026-03-23T09:00).")]
ShiftOption = Annotated[int | None, typer.Option("--shift-seconds", help="custom: shift length.")]
DurationOption = Annotated[int | None, typer.Option(help="Seconds on call per shift (default: all).")]


def _schedule_body(
    api,
    from_file,
    *,
    team: str | None,
    ical_url: str | None,
    rotation: str | None,
    frequency: str,
    start: str | None,
    shift_seconds: int | None,
    duration: int | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if from_file is not None:
        try:
            body = json.load(from_file)
        except ValueError as error:
            raise typer.BadParameter(f"not JSON: {error}", param_hint="--from-file") from error
    if ical_url and rotation:
        raise typer.BadParameter("use either --ical-url or --rotation", param_hint="--ical-url")
    if rotation and not start:
        raise typer.BadParameter("a rotation needs --start", param_hint="--start")
    if team is not None:
        body["team_id"] = refs.optional_id(api, "teams", team)
    if ical_url:
        body.update({"type": "ical", "ical_url_primary": ical_url})
    if rotation:
        users = [refs.user(api, u.strip())["id"] for u in rotation.split(",")]
        layer = {"users": users, "frequency": frequency, "start": start}
        layer.update({k: v for k, v in (("shift_seconds", shift_seconds), ("duration", duration)) if v})
        body["layers"] = [*body.get("layers", []), layer]
    return body


@command(schedules_app, "list")
def schedules_list(as_json: JsonOption = False) -> None:
    """List schedules with who is on call now."""
    api = client()
    rows = api.list_all("schedules")
    if as_json:
        print_json(rows)
        return
    names = refs.names(api, "users", "username")
    print_table([_schedule_row(s, names) for s in rows], ["id", "name", "type", "time_zone", "on_call_now"])


@command(schedules_app, "create")
def schedules_create(
    name: Annotated[str, typer.Option(help="Unique schedule name.")],
    time_zone: Annotated[str, typer.Option("--time-zone", help="IANA time zone of handoffs.")] = "UTC",
    team: Annotated[str | None, typer.Option(help="Team id or name.")] = None,
    ical_url: Annotated[str | None, typer.Option("--ical-url", help="An https iCal feed (type ical).")] = None,
    rotation: RotationOption = None,
    frequency: FrequencyOption = "weekly",
    start: StartOption = None,
    shift_seconds: ShiftOption = None,
    duration: DurationOption = None,
    from_file: FromFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a schedule: one rotation from options, an iCal feed, or a full JSON body from a file."""
    api = client()
    body = _schedule_body(
        api,
        from_file,
        team=team,
        ical_url=ical_url,
        rotation=rotation,
        frequency=frequency,
        start=start,
        shift_seconds=shift_seconds,
        duration=duration,
    )
    body.update({"name": name, "time_zone": body.get("time_zone", time_zone)})
    created = api.request("POST", "schedules", json=body)
    show(created, as_json, lambda s: console.print(f"Created schedule [bold]{s['name']}[/bold] ({s['id']})"))


@command(schedules_app, "update")
def schedules_update(
    schedule: ScheduleArg,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    time_zone: Annotated[str | None, typer.Option("--time-zone", help="IANA time zone of handoffs.")] = None,
    team: Annotated[str | None, typer.Option(help="Team id or name ('none').")] = None,
    ical_url: Annotated[str | None, typer.Option("--ical-url", help="A new iCal feed.")] = None,
    rotation: Annotated[
        str | None, typer.Option(help="Replace the layers with one rotation: comma-separated users.")
    ] = None,
    frequency: FrequencyOption = "weekly",
    start: StartOption = None,
    shift_seconds: ShiftOption = None,
    duration: DurationOption = None,
    from_file: FromFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change a schedule (only what is given changes; --rotation or a file's layers replace the layers)."""
    api = client()
    found = refs.schedule(api, schedule)
    body = _schedule_body(
        api,
        from_file,
        team=team,
        ical_url=ical_url,
        rotation=rotation,
        frequency=frequency,
        start=start,
        shift_seconds=shift_seconds,
        duration=duration,
    )
    if name is not None:
        body["name"] = name
    if time_zone is not None:
        body["time_zone"] = time_zone
    if not body:
        raise typer.BadParameter("nothing to change (see --help)", param_hint="options")
    updated = api.request("PATCH", f"schedules/{found['id']}", json=body)
    show(updated, as_json, lambda s: console.print(f"Updated schedule [bold]{s['name']}[/bold] ({s['id']})"))


@command(schedules_app, "get")
def schedules_get(schedule: ScheduleArg, as_json: JsonOption = False) -> None:
    """Show a schedule."""
    show(refs.schedule(client(), schedule), as_json, lambda s: console.print(details(s)))


@command(schedules_app, "delete")
def schedules_delete(schedule: ScheduleArg, yes: YesOption = False) -> None:
    """Delete a schedule (refused while an escalation policy notifies it)."""
    api = client()
    found = refs.schedule(api, schedule)
    confirm_delete(f"schedule {found['name']} ({found['id']})", yes)
    api.request("DELETE", f"schedules/{found['id']}")
    console.print(f"Deleted schedule {found['name']} ({found['id']}).")


@command(schedules_app, "oncall")
def schedules_oncall(
    schedule: ScheduleArg,
    at: Annotated[str | None, typer.Option(help="ISO 8601 time (default: now), like 2026-03-30T09:00:00Z.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Who is on call now (or --at a moment)."""
    api = client()
    found = refs.schedule(api, schedule)
    answer = api.request("GET", f"schedules/{found['id']}/on_call", params={"at": at} if at else None)

    def render(payload: dict[str, Any]) -> None:
        console.print(f"On call in [bold]{found['name']}[/bold] at {payload['at']}:")
        if payload["users"]:
            console.print(table(payload["users"], ["id", "username", "name", "email"]))
        else:
            console.print("(no one)")
        if payload.get("ical_error"):
            errors.print(f"[yellow]{payload['ical_error']}[/yellow]")

    show(answer, as_json, render)


@command(schedules_app, "shifts")
def schedules_shifts(
    schedule: ScheduleArg,
    start_date: Annotated[str | None, typer.Option("--start-date", help="First UTC day (default: today).")] = None,
    end_date: Annotated[str | None, typer.Option("--end-date", help="Last UTC day (default: 6 days later).")] = None,
    as_json: JsonOption = False,
) -> None:
    """The final shifts (overrides applied) between two days, both included."""
    api = client()
    found = refs.schedule(api, schedule)
    first = start_date or datetime.now(UTC).date().isoformat()
    try:
        last = end_date or (date.fromisoformat(first) + timedelta(days=6)).isoformat()
    except ValueError:
        raise typer.BadParameter(f"{first!r} is not a day like 2026-03-30", param_hint="--start-date") from None
    shifts = api.list_all(f"schedules/{found['id']}/final_shifts", start_date=first, end_date=last)
    show(shifts, as_json, lambda s: print_table(s, ["shift_start", "shift_end", "user_username", "user_email"]))
