"""JSON request bodies with a bounded nesting depth (ingest and the API alike).

Deeply nested JSON is never useful in an alert or a configuration request (Alertmanager payloads nest 4
levels, OnCall's API shapes 5), but it breaks things far from where it came in: Python's parser raises
RecursionError near 1,000 levels, pydantic and response serialization give up near 255, and a stored alert
nested that deep would make every list that shows it fail. So a body nested deeper than MAX_NESTING is
refused at the door with a 400 that names the limit (docs/request-bodies.md).

The depth is measured without recursion (an explicit stack), so measuring can never overflow the stack
itself, and it stops as soon as the limit is passed.
"""

from __future__ import annotations

import json
from typing import Any

from oncall.platform.errors import ValidationError

# Objects and arrays inside one another, the outermost counting 1: {"a": [1]} is 2 deep.
MAX_NESTING = 64

TOO_DEEP = f"The JSON body is nested too deeply: at most {MAX_NESTING} levels of objects and arrays are accepted."


def nesting_depth(value: Any, stop_after: int = MAX_NESTING) -> int:
    """How deep objects and arrays nest in `value` (0 for a scalar); stops counting past `stop_after`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > deepest:
            deepest = depth
            if deepest > stop_after:
                return deepest
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list | tuple))
    return deepest


def check_nesting(value: Any) -> Any:
    """`value`, or a ValidationError naming the limit if it nests deeper than MAX_NESTING."""
    if nesting_depth(value) > MAX_NESTING:
        raise ValidationError(TOO_DEEP)
    return value


def loads(text: str | bytes) -> Any:
    """Parse JSON text whose nesting is within MAX_NESTING.

    Raises `json.JSONDecodeError` (a ValueError) for text that is not JSON, and ValidationError naming the
    limit for JSON nested too deeply, including JSON so deep that the parser itself gives up (RecursionError).
    """
    try:
        parsed = json.loads(text)
    except RecursionError:
        raise ValidationError(TOO_DEEP) from None
    return check_nesting(parsed)
