"""What every part stands on and that knows nothing of alerts: settings, the clock, ids, errors, AWS clients,
cron, masking, the SSRF guard, JSON bodies and HTTP responses (the one error map)."""
