"""Watching over integrations: heartbeats, maintenance mode and windows, and the 1-minute sweep."""
