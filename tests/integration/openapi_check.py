"""Checks API responses against the OpenAPI document (its `components.schemas`).

The committed copy is read (test_api_contract checks it equals the served one): building a second app in
the test process would re-bind the module-level routers' context to it (Powertools' include_router)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


@cache
def document() -> dict[str, Any]:
    return json.loads(DOCUMENT.read_text(encoding="utf-8"))


def schema_errors(shape: str, body: Any) -> list[str]:
    """Why `body` does not match components.schemas[shape] (empty when it does)."""
    schema = {"$ref": f"#/components/schemas/{shape}", "components": document()["components"]}
    validator = Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]


def assert_shape(shape: str, body: Any) -> None:
    problems = schema_errors(shape, body)
    assert not problems, f"{shape} does not describe the response:\n" + "\n".join(problems) + "\n" + json.dumps(body)
