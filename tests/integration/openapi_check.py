"""Checks API responses against the served OpenAPI document (its `components.schemas`)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from oncall.api import build_app
from oncall.api.openapi import build_document


@cache
def document() -> dict[str, Any]:
    from aws_lambda_powertools import Logger

    return build_document(build_app(Logger(service="tests")))


def schema_errors(shape: str, body: Any) -> list[str]:
    """Why `body` does not match components.schemas[shape] (empty when it does)."""
    schema = {"$ref": f"#/components/schemas/{shape}", "components": document()["components"]}
    validator = Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]


def assert_shape(shape: str, body: Any) -> None:
    problems = schema_errors(shape, body)
    assert not problems, f"{shape} does not describe the response:\n" + "\n".join(problems) + "\n" + json.dumps(body)
