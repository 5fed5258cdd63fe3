"""Outgoing webhooks: their configuration, their delivery, and refusing calls that loop back to us."""
