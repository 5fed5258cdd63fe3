from datetime import UTC, datetime

import pytest

from oncall.models import EscalationStep, StepType
from oncall.people import schedule_config
from oncall.people import users as people
from oncall.people.requests import LayerIn, ScheduleWrite, TeamWrite, UserWrite
from oncall.platform.errors import ConflictError, ValidationError

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


class PersonsStep(EscalationStep):
    """An escalation step as the engine extends it (fields named like OnCall's)."""

    persons_to_notify: list[str] = []
    notify_on_call_from_schedule: str | None = None


def _user(store, clock, username, **fields):
    return people.create_user(UserWrite(username=username, **fields), store=store, clock=clock)


def _step(store, **fields):
    step = PersonsStep(
        id="ESTEP1", escalation_chain_id="F1", position=0, type=StepType.WAIT, created_at=CREATED, **fields
    )
    store.put_step(step)
    return step


def test_a_user_named_by_an_escalation_step_cannot_be_deleted(store, clock):
    alice = _user(store, clock, "alice")
    _step(store, persons_to_notify=[alice.id])
    with pytest.raises(ValidationError) as refused:
        people.delete_user(alice.id, store=store)
    assert refused.value.fields == {"escalation_policies": [f"references user {alice.id}: ESTEP1"]}
    assert "ESTEP1" in refused.value.detail and store.get_user(alice.id) is not None


def test_steps_without_person_fields_do_not_block(store, clock):
    alice = _user(store, clock, "alice")
    store.put_step(
        EscalationStep(id="E2", escalation_chain_id="F1", position=0, type=StepType.WAIT, created_at=CREATED)
    )
    people.delete_user(alice.id, store=store)
    assert store.get_user(alice.id) is None


def test_a_schedule_notified_by_a_step_cannot_be_deleted(store, clock):
    alice = _user(store, clock, "alice")
    schedule = schedule_config.create_schedule(
        ScheduleWrite(name="s", layers=[LayerIn(users=[alice.id], start=datetime(2026, 1, 1))]),
        store=store,
        clock=clock,
    )
    _step(store, notify_on_call_from_schedule=schedule.id)
    with pytest.raises(ValidationError, match="ESTEP1"):
        schedule_config.delete_schedule(schedule.id, store=store)


class RacingStore:
    """A store where someone references the user between every reference check and the delete."""

    def __init__(self, inner):
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def delete_user_unreferenced(self, user_id, epoch):
        self._inner.reference_epochs[user_id] = epoch + 1
        return self._inner.delete_user_unreferenced(user_id, epoch)


def test_delete_gives_up_with_a_conflict_when_references_keep_appearing(store, clock):
    alice = _user(store, clock, "alice")
    with pytest.raises(ConflictError):
        people.delete_user(alice.id, store=RacingStore(store))
    assert store.get_user(alice.id) is not None


def test_team_delete_removes_members_and_schedule_team(store, clock):
    team = people.create_team(TeamWrite(name="SRE"), store=store, clock=clock)
    other = people.create_team(TeamWrite(name="DB"), store=store, clock=clock)
    alice = _user(store, clock, "alice", teams=[team.id, other.id])
    schedule = schedule_config.create_schedule(
        ScheduleWrite(name="s", team_id=team.id, layers=[LayerIn(users=[alice.id], start=datetime(2026, 1, 1))]),
        store=store,
        clock=clock,
    )
    assert people.team_member_ids(store, team.id) == [alice.id]
    people.delete_team(team.id, store=store)
    assert store.get_user(alice.id).team_ids == [other.id]
    assert store.get_schedule(schedule.id).team_id is None and store.get_team(team.id) is None


def test_rule_ids_are_stable_distinct_and_shaped_like_oncall_ids():
    ids = {
        people.rule_id(user, important, position)
        for user in ("U1", "U2")
        for important in (False, True)
        for position in range(20)
    }
    assert len(ids) == 80
    assert people.rule_id("U1", True, 3) == people.rule_id("U1", True, 3)
    assert all(i.startswith("N") and len(i) == 13 and "0" not in i and "O" not in i for i in ids)
