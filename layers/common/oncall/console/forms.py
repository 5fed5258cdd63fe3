"""What the console's configuration pages share when they read a form: the API's request models over the form's
fields (the same rules as the API), and the item a form names within the page's parent (a route of this
integration, a step of this chain), moved up or down or deleted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pydantic

from oncall.platform.errors import NotFoundError, ValidationError

T = TypeVar("T")

_MAX_ID = 128  # longer than any id we issue: answered "no such" without a store read


def validated(model: type[pydantic.BaseModel], data: dict[str, Any]) -> Any:
    """The API's request model over form values: the same rules, errors as a readable 400 page."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as error:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in error.errors(include_url=False)
        ]
        raise ValidationError("; ".join(problems)) from error


def owned_item(item_id: str, get: Callable[[str], T | None], belongs: Callable[[T], bool], what: str) -> T:
    """The item the form names, if it exists and belongs to the page's parent (a form posted to one integration's
    page must not change another's route); NotFoundError("No such <what>.") otherwise."""
    item = get(item_id) if item_id and len(item_id) <= _MAX_ID else None
    if item is None or not belongs(item):
        raise NotFoundError(f"No such {what}.")
    return item


def moved(position: int, operation: str) -> int:
    """The position one place "up" (towards the first, never above it) or "down"."""
    return max(0, position + (-1 if operation == "up" else 1))
