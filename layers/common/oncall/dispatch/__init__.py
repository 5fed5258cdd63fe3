"""What happens to one queued alert (route): templates, route selection, grouping, then escalation; and
time-based auto-resolve."""
