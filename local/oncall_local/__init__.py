"""The local stack: the real handlers, on moto, behind a small HTTP front door (decision 7,
docs/decisions/0007-local-mode-runs-real-handlers-on-moto.md)."""
