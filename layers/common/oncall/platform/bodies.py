"""The two kinds of API body: what a request sends (`RequestBody`, validated by the domain that takes it) and
what a response shows (`ResponseBody`, built by the API resource that shows it and read by the OpenAPI
document). Here, below every domain package, so that a domain owns its request models without importing
the API, and the API declares its response models without the domain importing them.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from oncall.platform.errors import ValidationError

# OnCall's chat-app settings. Responses show them "not configured" (OnCall's shape); nothing here acts on them,
# so a request that sets one is refused, saying how to reach a chat channel instead.
CHAT_FIELDS = frozenset({"slack", "telegram", "msteams", "slack_app", "mobile_app", "whatsapp", "discord"})
CHAT_HINT = (
    "chat-app settings are not supported here (they would be ignored). To post to a chat channel, add a "
    "notify_channel step with an Apprise URL (slack://…, tgram://…, msteams://…, discord://…) to the "
    "escalation chain that should post there."
)

# The id of another object in a request (ours are 13-16 characters): bounded, so that no request can make
# a lookup or a key that DynamoDB refuses (2048 bytes).
RefId = Annotated[str, Field(max_length=64)]


def _unset(value: Any) -> bool:
    """What a response shows for a chat setting nobody configured: null, empty, false, or an object of those."""
    if isinstance(value, dict):
        return all(_unset(v) for v in value.values())
    return value is None or value in ("", False, [])


class RequestBody(BaseModel):
    """A request body. A field this request does not take is never silently ignored: it is a 400 naming it
    (chat-app settings with how to reach a chat channel instead). Fields the API shows for the object but
    does not take (`id`, `link`, computed state) may be sent back (a GET body PUT back): those are read-only
    and ignored, as OnCall's read-only fields are. Which names those are, the response model that shows the
    object declares (`ResponseBody`'s `echoed_by`), so the domain that owns the request never names them."""

    # defer_build: each request model's validator is built by the first request that uses it (the api
    # function has ~30 of them; building all at import cost every cold start ~25 ms).
    model_config = ConfigDict(extra="ignore", defer_build=True)
    # The fields of the response shape this request may echo (set by that ResponseBody subclass).
    read_only: ClassVar[frozenset[str]] = frozenset()
    # A partial update that takes any field of another request (validated against it once merged).
    takes_fields_of: ClassVar[type[BaseModel] | None] = None

    @model_validator(mode="before")
    @classmethod
    def _nothing_ignored(cls, data: Any) -> Any:
        if isinstance(data, dict):
            accepted = _accepted_names(cls.takes_fields_of or cls)
            extra = [name for name in data if isinstance(name, str) and name not in accepted]
            if extra:
                _refuse_extra(cls, extra, data)
        return data


@cache
def _accepted_names(cls: type[BaseModel]) -> frozenset[str]:
    names: set[str] = set()
    for name, info in cls.model_fields.items():
        names.add(name)
        if info.alias:
            names.add(info.alias)
        choices = getattr(info.validation_alias, "choices", None)
        if isinstance(info.validation_alias, str):
            names.add(info.validation_alias)
        for choice in choices or ():
            if isinstance(choice, str):
                names.add(choice)
    return frozenset(names)


def _refuse_extra(cls: type[RequestBody], extra: list[str], data: dict[str, Any]) -> None:
    problems: dict[str, list[str]] = {}
    for name in extra:
        if name in CHAT_FIELDS:
            if not _unset(data[name]):
                problems[name] = [CHAT_HINT]
        elif name not in cls.read_only:
            problems[name[:100]] = ["Unknown field: this request does not take it (it would be ignored)."]
    if problems:
        summary = "; ".join(f"{name}: {messages[0]}" for name, messages in problems.items())
        raise ValidationError(f"Invalid request: {summary}", problems)


# Whether ResponseBody.build also checks every value against its field's type (pydantic validation). The tests
# turn it on (tests/conftest.py), so that every response any test builds is checked; the functions leave it off:
# a list builds one body per object (up to 1000 a page), from entities pydantic validated when they were
# read, and checking them again would make a list 2-4x as costly to build (docs/performance.md, "Response bodies").
_checking = False


def check_responses(on: bool = True) -> None:
    """Check the type of every value of every response body built from now on (tests)."""
    global _checking  # noqa: PLW0603 - one process-wide switch, set once by the test session
    _checking = on


class ResponseBody(BaseModel):
    """A response shape (OnCall public API v1 field names): the resource that shows it builds its bodies with
    `build(...)`, and the OpenAPI document gives its schema. Fields come out in declaration order; a field
    with a default is shown only when the builder gives it (e.g. a step shows only its type's fields).
    Objects stay open in the document (extra fields allowed), as clients must tolerate.

    `class UserOut(ResponseBody, echoed_by=(UserWrite, UserPatch))` says that a client may send a UserOut
    back in those requests: its fields are then read-only there (ignored, not refused)."""

    # Subclasses have no class docstring unless it should be the schema's description in the document.
    # defer_build: the api function has ~40 of these; the document (or a test) builds their schemas.
    model_config = ConfigDict(extra="allow", defer_build=True)

    def __init_subclass__(cls, echoed_by: tuple[type[RequestBody], ...] = (), **kwargs: Any) -> None:
        # Takes `echoed_by` off the class keywords; it is applied below, once pydantic has collected the fields.
        super().__init_subclass__(**kwargs)

    @classmethod
    def __pydantic_init_subclass__(cls, echoed_by: tuple[type[RequestBody], ...] = (), **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        for request in echoed_by:
            request.read_only = frozenset(cls.model_fields)

    @classmethod
    def build(cls, **fields: Any) -> dict[str, Any]:
        """The JSON object the API sends: `fields` in the model's order. Every field without a default must be
        given and no other (a programming error otherwise, whatever the data); nested objects are given as
        built bodies (their model's `build`)."""
        order, names, required = _layout(cls)
        if required.difference(fields) or not names.issuperset(fields):
            missing, unknown = sorted(required.difference(fields)), sorted(set(fields).difference(names))
            raise TypeError(f"{cls.__name__}.build: missing {missing}, unknown {unknown}")
        if _checking:
            return cls.model_validate(fields).model_dump(exclude_unset=True)
        if len(fields) == len(order):
            return {name: fields[name] for name in order}
        return {name: fields[name] for name in order if name in fields}


@cache
def _layout(cls: type[ResponseBody]) -> tuple[tuple[str, ...], frozenset[str], frozenset[str]]:
    """The model's field names in order, as a set, and those without a default."""
    fields = cls.model_fields
    return tuple(fields), frozenset(fields), frozenset(name for name, info in fields.items() if info.is_required())
