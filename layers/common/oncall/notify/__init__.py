"""Telling people: one notification to one channel, rendered for that channel, and test notifications."""
