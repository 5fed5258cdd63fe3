"""The API's bodies (decision 66): one response model per resource builds its bodies and is its schema in the
OpenAPI document; write models live with their domain and learn their read-only fields from the response
model that shows them; the webhook trigger names have one definition."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

import pydantic
import pytest
from aws_lambda_powertools import Logger

from oncall.api.app import build_app
from oncall.api.escalation import PolicyOut, present_step
from oncall.api.integrations import DefaultRouteOut, IntegrationOut, RateLimitOut
from oncall.api.responses import SlackOut
from oncall.api.teams import present_team
from oncall.configuration import requests as configuration
from oncall.configuration.step_types import STEP_FIELDS, STEP_TYPE_NAMES
from oncall.groups.presentation import LabelPartOut
from oncall.models import EscalationStep, StepType, Team, WebhookTrigger, WebhookTriggerName
from oncall.monitoring.requests import HeartbeatUpdate
from oncall.people import requests as people
from oncall.platform import bodies
from oncall.platform.bodies import ResponseBody
from oncall.platform.errors import ValidationError
from oncall.webhooks.requests import WebhookIn, WebhookPatch

_NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def unchecked():
    """As the functions run: names checked, values not (the test session checks them: tests/conftest.py)."""
    bodies.check_responses(False)
    yield
    bodies.check_responses(True)


class _Out(ResponseBody):
    b: int
    a: str | None
    extra: int | None = None


def test_build_orders_by_the_model_and_leaves_out_what_was_not_given(unchecked):
    assert list(_Out.build(a="x", b=1)) == ["b", "a"]
    assert _Out.build(a=None, b=1, extra=None) == {"b": 1, "a": None, "extra": None}


def test_build_refuses_a_missing_or_unknown_name_in_either_mode(unchecked):
    with pytest.raises(TypeError, match=r"missing \['a'\]"):
        _Out.build(b=1)
    with pytest.raises(TypeError, match=r"unknown \['c'\]"):
        _Out.build(a="x", b=1, c=2)
    bodies.check_responses(True)
    with pytest.raises(TypeError, match=r"unknown \['c'\]"):
        _Out.build(a="x", b=1, c=2)


def test_checked_build_validates_types_and_gives_the_same_body():
    assert _Out.build(a="x", b=1, extra=2) == {"b": 1, "a": "x", "extra": 2}
    with pytest.raises(pydantic.ValidationError):
        _Out.build(a="x", b="not a number")
    with pytest.raises(pydantic.ValidationError):
        SlackOut.build(channel_id=None, enabled="sometimes")


def test_team_members_only_when_given():
    team = Team(id="T1", name="SRE", created_at=_NOW)
    assert "members" not in present_team(team)
    assert list(present_team(team, ["U1"])) == ["id", "name", "email", "avatar_url", "members"]


@pytest.mark.parametrize("step_type", STEP_TYPE_NAMES)
def test_a_policy_shows_its_type_fields_in_their_step_types_order(step_type):
    values = {
        "duration": 120,
        "important": True,
        "persons_to_notify": ["U1"],
        "persons_to_notify_next_each_time": ["U1", "U2"],
        "notify_on_call_from_schedule": "S1",
        "team_to_notify": "T1",
        "action_to_trigger": "WH1",
        "notify_if_time_from": "09:00:00Z",
        "notify_if_time_to": "18:00:00Z",
        "num_alerts_in_window": 3,
        "num_minutes_in_window": 5,
        "channel": "ntfy://ntfy.example/alerts",
    }
    step = EscalationStep(
        id="E1",
        escalation_chain_id="F1",
        position=0,
        type=StepType(step_type),
        created_at=_NOW,
        **{name: values[name] for name in STEP_FIELDS[StepType(step_type)]},
    )
    body = present_step(step)
    assert list(body) == ["id", "escalation_chain_id", "position", "type", *STEP_FIELDS[StepType(step_type)]]
    assert set(STEP_FIELDS[StepType(step_type)]) <= set(PolicyOut.model_fields)


def test_every_documented_response_is_a_response_model():
    app = build_app(Logger(service="test"))
    models = set()
    for route in [*app._static_routes, *app._dynamic_routes]:
        for response in (route.responses or {}).values():
            model = response.get("content", {}).get("application/json", {}).get("model")
            if model is not None:
                models.add(model)
    assert models and all(issubclass(model, ResponseBody) for model in models)


def test_read_only_names_come_from_the_response_model_that_shows_the_object():
    from oncall.api.escalation import ChainOut
    from oncall.api.heartbeats import HeartbeatOut
    from oncall.api.routes import RouteOut
    from oncall.api.schedules import LayerOut, OverrideOut, ScheduleOut
    from oncall.api.settings import SettingsOut
    from oncall.api.teams import TeamOut
    from oncall.api.tokens import TokenCreate, TokenCreatedOut
    from oncall.api.users import NotificationRuleOut, UserOut
    from oncall.api.webhooks import WebhookOut

    shown_as = {
        configuration.DefaultRouteIn: DefaultRouteOut,
        configuration.LabelName: LabelPartOut,
        configuration.RateLimitIn: RateLimitOut,
        configuration.IntegrationCreate: IntegrationOut,
        configuration.IntegrationUpdate: IntegrationOut,
        configuration.RouteCreate: RouteOut,
        configuration.RouteUpdate: RouteOut,
        configuration.ChainCreate: ChainOut,
        configuration.ChainPatch: ChainOut,
        configuration.StepCreate: PolicyOut,
        configuration.StepUpdate: PolicyOut,
        configuration.SettingsUpdate: SettingsOut,
        TokenCreate: TokenCreatedOut,
        people.NotificationRuleIn: NotificationRuleOut,
        people.UserWrite: UserOut,
        people.UserPatch: UserOut,
        people.TeamWrite: TeamOut,
        people.LayerIn: LayerOut,
        people.OverrideIn: OverrideOut,
        people.ScheduleWrite: ScheduleOut,
        people.SchedulePatch: ScheduleOut,
        WebhookPatch: WebhookOut,
        WebhookIn: WebhookOut,
        HeartbeatUpdate: HeartbeatOut,
    }
    for request, response in shown_as.items():
        assert request.read_only == frozenset(response.model_fields), request
    # Not (yet) echoed: their read-only fields are refused as unknown, as before (docs/request-bodies.md).
    assert people.OnCallShiftWrite.read_only == people.ShiftSwapWrite.read_only == frozenset()


def test_an_echoed_body_is_accepted_and_an_unknown_field_is_not():
    build_app(Logger(service="test"))
    echoed = configuration.ChainPatch.model_validate({"id": "F1", "name": "Primary", "team_id": None})
    assert echoed.name == "Primary"
    with pytest.raises(ValidationError) as refused:
        configuration.ChainPatch.model_validate({"name": "Primary", "colour": "red"})
    assert "colour" in refused.value.fields


def test_webhook_trigger_names_have_one_definition():
    from oncall_cli import config_as_code

    assert get_args(WebhookTriggerName) == tuple(trigger.value for trigger in WebhookTrigger)
    assert config_as_code.WebhookTrigger is WebhookTriggerName
    assert WebhookIn.model_fields["trigger_type"].annotation == WebhookTriggerName
