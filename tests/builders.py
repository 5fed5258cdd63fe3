"""Test data built through the real configuration logic, so tests use what users can create."""

from __future__ import annotations

from typing import Any

from oncall.configuration.changes import create_chain, create_integration, create_route, create_step
from oncall.configuration.requests import ChainCreate, DefaultRouteIn, IntegrationCreate, RouteCreate, StepCreate
from oncall.models import Alert, EscalationChain, Integration, NotificationRuleStep, Route, Team, User
from oncall.platform import ids


def integration(
    store,
    clock,
    *,
    kind: str = "alertmanager",
    name: str | None = None,
    chain_id: str | None = None,
    templates: dict[str, Any] | None = None,
    **options: Any,
) -> tuple[Integration, Route]:
    """`options`: labels, dynamic_labels, labels_template, grouping_scope, auto_resolve_minutes, rate_limit…"""
    return create_integration(
        IntegrationCreate(
            type=kind,
            name=name,
            templates=templates,
            default_route=DefaultRouteIn(escalation_chain_id=chain_id) if chain_id else None,
            **options,
        ),
        store=store,
        clock=clock,
    )


def chain(store, clock, steps: list[dict[str, Any]], name: str = "Primary") -> EscalationChain:
    created = create_chain(ChainCreate(name=name), store=store, clock=clock)
    for step in steps:
        create_step(StepCreate(escalation_chain_id=created.id, **step), store=store, clock=clock)
    return created


def route(store, clock, integration_id: str, term: str, **fields: Any) -> Route:
    return create_route(
        RouteCreate(integration_id=integration_id, routing_regex=term, **fields), store=store, clock=clock
    )


def alert(store, clock, integration: Integration, payload: dict[str, Any], *, is_demo: bool = False) -> Alert:
    stored = Alert(
        id=ids.public_id(ids.PREFIX_ALERT),
        integration_id=integration.id,
        payload=payload,
        received_at=clock.now(),
        request_id=ids.public_id("Q"),
        is_demo=is_demo,
    )
    store.put_alert(stored)
    return stored


def am_payload(status: str = "firing", alertname: str = "DiskFull", **extra: Any) -> dict[str, Any]:
    """An Alertmanager webhook body (the shape of ../shared/reference/payloads/alertmanager)."""
    return {
        "receiver": "oncall",
        "status": status,
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{alertname}"}}',
        "groupLabels": {"alertname": alertname},
        "commonLabels": {"alertname": alertname, "severity": "critical"},
        "commonAnnotations": {"summary": f"{alertname} happened"},
        "externalURL": "http://alertmanager.local",
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": alertname, "instance": "db-1"},
                "annotations": {},
                "startsAt": "2026-11-27T10:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.local/graph",
                "fingerprint": "abc",
            }
        ],
        **extra,
    }


def user(
    store,
    clock,
    username: str,
    *,
    contacts: dict[str, str] | None = None,
    rules: list[dict[str, Any]] | None = None,
    important_rules: list[dict[str, Any]] | None = None,
    team_ids: list[str] | None = None,
) -> User:
    """A person with contacts (default: one outbox contact named "outbox") and notification rules."""
    created = User(
        id=ids.public_id(ids.PREFIX_USER),
        username=username,
        name=username.title(),
        contacts={"outbox": f"outbox://{username}"} if contacts is None else contacts,
        default_rules=[NotificationRuleStep(**r) for r in rules or []],
        important_rules=[NotificationRuleStep(**r) for r in important_rules or []],
        team_ids=team_ids or [],
        created_at=clock.now(),
    )
    store.put_user(created)
    return created


def team(store, clock, name: str) -> Team:
    created = Team(id=ids.public_id(ids.PREFIX_TEAM), name=name, created_at=clock.now())
    store.put_team(created)
    return created
