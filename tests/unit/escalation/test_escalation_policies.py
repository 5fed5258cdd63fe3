"""Escalation policies (steps) as the public API creates, changes and deletes them: fields per type,
validation that names the field, and position semantics."""

import pytest

from oncall.api.escalation import present_step
from oncall.configuration.changes import create_step, delete_step, update_settings, update_step
from oncall.configuration.requests import SettingsUpdate, StepCreate, StepUpdate
from oncall.models import Schedule
from oncall.platform.errors import NotFoundError, ValidationError
from tests import builders


@pytest.fixture
def chain(store, clock):
    return builders.chain(store, clock, [])


@pytest.fixture
def people(store, clock):
    team = builders.team(store, clock, "db")
    alice = builders.user(store, clock, "alice", team_ids=[team.id])
    schedule = Schedule(id="SPRIMARY", name="Primary", created_at=clock.now())
    store.put_schedule(schedule)
    return {"alice": alice.id, "team": team.id, "schedule": schedule.id}


def _create(store, clock, chain, **fields):
    return create_step(StepCreate(escalation_chain_id=chain.id, **fields), store=store, clock=clock)


def _valid_steps(people):
    return [
        ({"type": "wait", "duration": 4321}, {"duration": 4321}),
        (
            {"type": "notify_persons", "persons_to_notify": [people["alice"]]},
            {"persons_to_notify": [people["alice"]], "important": False},
        ),
        (
            {
                "type": "notify_person_next_each_time",
                "persons_to_notify_next_each_time": [people["alice"]],
                "important": True,
            },
            {"persons_to_notify_next_each_time": [people["alice"]], "important": True},
        ),
        (
            {"type": "notify_on_call_from_schedule", "notify_on_call_from_schedule": people["schedule"]},
            {"notify_on_call_from_schedule": people["schedule"], "important": False},
        ),
        (
            {"type": "notify_team_members", "team_to_notify": people["team"]},
            {"team_to_notify": people["team"], "important": False},
        ),
        ({"type": "trigger_webhook", "action_to_trigger": "WH1"}, {"action_to_trigger": "WH1"}),
        ({"type": "resolve"}, {}),
        (
            {"type": "notify_if_time_from_to", "notify_if_time_from": "22:00", "notify_if_time_to": "06:30:00Z"},
            {"notify_if_time_from": "22:00:00Z", "notify_if_time_to": "06:30:00Z"},
        ),
        (
            {"type": "notify_if_num_alerts_in_window", "num_alerts_in_window": 3, "num_minutes_in_window": 10},
            {"num_alerts_in_window": 3, "num_minutes_in_window": 10},
        ),
        ({"type": "repeat_escalation"}, {}),
        ({"type": "notify_channel", "channel": "outbox://x"}, {"channel": "outbox://x", "important": False}),
    ]


def test_every_step_type_shows_only_its_fields(store, clock, chain, people):
    for request, shown in _valid_steps(people):
        # null fields of other types are fine (clients send every field); a value would be ignored: refused
        if request["type"] != "wait":
            with pytest.raises(ValidationError, match="does not take duration"):
                _create(store, clock, chain, **{"duration": 600, **request})
        step = _create(store, clock, chain, **{"duration": None, **request})
        body = present_step(step)
        assert body == {
            "id": step.id,
            "escalation_chain_id": chain.id,
            "position": body["position"],
            "type": request["type"],
            **shown,
        }


def test_wait_defaults_to_five_minutes(store, clock, chain):
    assert _create(store, clock, chain, type="wait").duration == 300


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"type": "notify_persons"}, "persons_to_notify"),
        ({"type": "notify_persons", "persons_to_notify": []}, "persons_to_notify"),
        ({"type": "notify_persons", "persons_to_notify": ["UNOBODY"]}, "persons_to_notify"),
        (
            {"type": "notify_person_next_each_time", "persons_to_notify_next_each_time": ["UNOBODY"]},
            "persons_to_notify_next_each_time",
        ),
        ({"type": "notify_on_call_from_schedule"}, "notify_on_call_from_schedule"),
        (
            {"type": "notify_on_call_from_schedule", "notify_on_call_from_schedule": "SNOPE"},
            "notify_on_call_from_schedule",
        ),
        ({"type": "notify_team_members", "team_to_notify": "TNOPE"}, "team_to_notify"),
        ({"type": "trigger_webhook"}, "action_to_trigger"),
        ({"type": "notify_if_time_from_to", "notify_if_time_to": "10:00:00Z"}, "notify_if_time_from"),
        (
            {"type": "notify_if_time_from_to", "notify_if_time_from": "25:00:00Z", "notify_if_time_to": "10:00:00Z"},
            "notify_if_time_from",
        ),
        ({"type": "notify_if_num_alerts_in_window", "num_alerts_in_window": 3}, "num_minutes_in_window"),
        ({"type": "notify_channel"}, "channel"),
    ],
)
def test_validation_names_the_field(store, clock, chain, people, fields, field):
    with pytest.raises(ValidationError) as error:
        _create(store, clock, chain, **fields)
    assert field in error.value.fields


def test_positions_on_create_update_and_delete(store, clock, chain):
    def order():
        return [(s.position, s.channel) for s in sorted(store.list_steps(), key=lambda s: s.position)]

    a = _create(store, clock, chain, type="notify_channel", channel="outbox://a")
    c = _create(store, clock, chain, type="notify_channel", channel="outbox://c")
    b = _create(store, clock, chain, type="notify_channel", channel="outbox://b", position=1)
    assert order() == [(0, "outbox://a"), (1, "outbox://b"), (2, "outbox://c")]
    update_step(c.id, StepUpdate(position=0), store=store)
    assert order() == [(0, "outbox://c"), (1, "outbox://a"), (2, "outbox://b")]
    update_step(c.id, StepUpdate(position=-1), store=store)
    assert order() == [(0, "outbox://a"), (1, "outbox://b"), (2, "outbox://c")]
    delete_step(a.id, store=store)
    assert order() == [(0, "outbox://b"), (1, "outbox://c")]
    assert store.get_step(b.id).position == 0


def test_update_is_partial_and_a_new_type_keeps_only_its_fields(store, clock, chain, people):
    step = _create(store, clock, chain, type="notify_channel", channel="outbox://a", important=True)
    step = update_step(step.id, StepUpdate(channel="outbox://b"), store=store)
    assert (step.channel, step.important) == ("outbox://b", True)
    step = update_step(step.id, StepUpdate(type="notify_persons", persons_to_notify=[people["alice"]]), store=store)
    assert step.channel is None and step.persons_to_notify == [people["alice"]] and step.important
    assert present_step(step)["type"] == "notify_persons"
    with pytest.raises(ValidationError) as error:
        update_step(step.id, StepUpdate(type="trigger_webhook"), store=store)
    assert "action_to_trigger" in error.value.fields
    with pytest.raises(NotFoundError):
        update_step("ENOPE", StepUpdate(), store=store)


def test_settings_validation(store):
    with pytest.raises(ValidationError) as error:
        update_settings(SettingsUpdate(unacknowledge_timeout=15), store=store)
    assert "unacknowledge_timeout" in error.value.fields
    saved = update_settings(SettingsUpdate(acknowledge_remind_timeout=60, unacknowledge_timeout=15), store=store)
    assert store.get_deployment_settings() == saved
    assert update_settings(SettingsUpdate(unacknowledge_timeout=0), store=store).acknowledge_remind_timeout == 60
