"""What the API's response models share: the error shape, OnCall's chat-app placeholders, the pagination
envelope, and the `responses=` of a route decorator (`returns(Model)`, `created(Model)`, `paged(Model)`,
`deleted()`) through which each response model reaches the OpenAPI document. Each resource's own response
model lives in its module (oncall/api/<resource>.py) and builds its responses (ResponseBody.build)."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, create_model

from oncall.platform.bodies import ResponseBody

JSON = "application/json"


class Error(ResponseBody):
    """Every error: `detail` says what went wrong; a 400 also maps each bad field to its messages."""

    detail: str


# OnCall's chat-app settings, shown "not configured" (nothing here acts on them: see platform.bodies.CHAT_FIELDS).
class SlackOut(ResponseBody):
    channel_id: str | None
    enabled: bool


class TelegramOut(ResponseBody):
    id: str | None
    enabled: bool


def no_slack() -> dict[str, Any]:
    return SlackOut.build(channel_id=None, enabled=False)


def no_telegram() -> dict[str, Any]:
    return TelegramOut.build(id=None, enabled=False)


class _PageBase(ResponseBody):
    count: int
    next: str | None
    previous: str | None
    page_size: int
    current_page_number: int
    total_pages: int


@cache
def page_model(item: type[BaseModel]) -> type[BaseModel]:
    """OnCall's pagination envelope around `item`s (one model per item type, named <Item>Page)."""
    name = item.__name__.removesuffix("Out") + "Page"
    return create_model(name, __base__=_PageBase, results=(list[item], ...))


def returns(model: type[BaseModel], status: int = 200, description: str = "OK") -> dict[int, Any]:
    return {status: {"description": description, "content": {JSON: {"model": model}}}}


def created(model: type[BaseModel]) -> dict[int, Any]:
    return returns(model, 201, "Created")


def paged(model: type[BaseModel]) -> dict[int, Any]:
    return returns(page_model(model), 200, "One page (`page`, `perpage`)")


def deleted() -> dict[int, Any]:
    return {204: {"description": "Deleted (no body)"}}
