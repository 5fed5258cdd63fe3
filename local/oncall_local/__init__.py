"""The local stack: the real handlers, on moto, behind a small HTTP front door (DESIGN decision 7)."""
