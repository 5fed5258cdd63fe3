"""Jinja2 templates with OnCall's semantics: the sandboxed engine, per-integration budgets, labels, what a
surface shows (rendering) and previews."""
