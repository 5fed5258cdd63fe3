"""What runs when an escalation step fires: the plan snapshot, the step runner, personal notification rules,
timers and reminders, the state machine's task, and starting and stopping Step Functions executions."""
