"""The `oncall` command groups, one module per area; `oncall_cli.main` puts them together."""
