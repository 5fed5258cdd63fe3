"""Serverless OnCall domain library, shared by every Lambda function through the `common` layer.

Modules are named after what they do (templating, grouping, routing, escalation, ...). Pure logic takes
a clock and a store as parameters; AWS access lives behind `store` and `aws`.
"""

# The release, as /api/v1/info reports it (keep equal to pyproject.toml; a test checks).
VERSION = "0.1.0"
