"""Integrations, routes, escalation chains and their steps: changing them with OnCall's rules, and reading
them on the hot paths through a short-lived cache."""
