"""oncall.console.forms: what the configuration pages share when they read a form."""

import pydantic
import pytest

from oncall.console.forms import moved, owned_item, validated
from oncall.platform.errors import NotFoundError, ValidationError

ITEMS = {"R1": {"id": "R1", "parent": "I1"}, "R2": {"id": "R2", "parent": "I2"}}


def _owned(item_id: str) -> dict:
    return owned_item(item_id, ITEMS.get, lambda item: item["parent"] == "I1", "route")


def test_the_item_a_form_names_must_exist_and_belong_to_the_page():
    assert _owned("R1") == ITEMS["R1"]
    for foreign_missing_or_absurd in ("R2", "R9", "", "R" * 129):
        with pytest.raises(NotFoundError, match="No such route."):
            _owned(foreign_missing_or_absurd)


def test_an_overlong_id_is_refused_without_a_read():
    reads = []
    with pytest.raises(NotFoundError):
        owned_item("X" * 129, reads.append, lambda _: True, "step")
    assert reads == []


def test_moving_up_stops_at_the_first_place():
    assert [moved(2, "up"), moved(0, "up"), moved(0, "down"), moved(3, "down")] == [1, 0, 1, 4]


def test_form_values_go_through_the_request_model_with_readable_errors():
    class Model(pydantic.BaseModel):
        position: int

    assert validated(Model, {"position": "3"}).position == 3
    with pytest.raises(ValidationError, match="position: "):
        validated(Model, {"position": "three"})
