"""The escalation step types by their public API names, and the fields each one has. One list for the API,
the console and the CLI (which imports it: a new step type is added here once)."""

from __future__ import annotations

from typing import Literal, get_args

from oncall.models import StepType

StepTypeName = Literal[
    "wait",
    "notify_persons",
    "notify_person_next_each_time",
    "notify_on_call_from_schedule",
    "notify_team_members",
    "trigger_webhook",
    "resolve",
    "notify_if_time_from_to",
    "notify_if_num_alerts_in_window",
    "repeat_escalation",
    "notify_channel",
]

# The fields each step type has (public API names); responses show only these, and a request that sets a field
# of another type is a 400 naming it (configuration._refuse_fields_of_other_types), never silently ignored.
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    StepType.WAIT: ("duration",),
    StepType.NOTIFY_PERSONS: ("persons_to_notify", "important"),
    StepType.NOTIFY_PERSON_NEXT_EACH_TIME: ("persons_to_notify_next_each_time", "important"),
    StepType.NOTIFY_ON_CALL_FROM_SCHEDULE: ("notify_on_call_from_schedule", "important"),
    StepType.NOTIFY_TEAM_MEMBERS: ("team_to_notify", "important"),
    StepType.TRIGGER_WEBHOOK: ("action_to_trigger",),
    StepType.RESOLVE: (),
    StepType.NOTIFY_IF_TIME_FROM_TO: ("notify_if_time_from", "notify_if_time_to"),
    StepType.NOTIFY_IF_NUM_ALERTS_IN_WINDOW: ("num_alerts_in_window", "num_minutes_in_window"),
    StepType.REPEAT_ESCALATION: (),
    StepType.NOTIFY_CHANNEL: ("channel", "important"),
}

# The names in their documented order (for help texts and listings).
STEP_TYPE_NAMES: tuple[str, ...] = get_args(StepTypeName)
