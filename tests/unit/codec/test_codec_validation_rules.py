"""The compiled validator on schema shapes the event schemas do not use (yet)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from streams.codec import FieldEncodeError, SchemaDefinitionError
from streams.codec.validation import Validator

NODE: dict[str, Any] = {
    "type": "record",
    "name": "t.Node",
    "fields": [
        {"name": "label", "type": ["null", "string", "long"]},
        {"name": "digest", "type": {"type": "fixed", "name": "t.Digest", "size": 4}},
        {"name": "flag", "type": "boolean"},
        {"name": "weight", "type": "double"},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "at", "type": {"type": "long", "logicalType": "time-micros"}},
        {"name": "children", "type": {"type": "array", "items": "t.Node"}},
    ],
}


def _node(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "label": "root",
        "digest": b"\x00\x01\x02\x03",
        "flag": True,
        "weight": 1,
        "day": date(2024, 1, 2),
        "at": time(9, 30),
        "children": [],
    }
    return {**base, **changes}


@pytest.fixture(scope="module")
def validate() -> Validator:
    return Validator(NODE)


def test_valid_values_pass(validate: Validator) -> None:
    validate(_node())
    validate(_node(label=None, weight=0.5, children=[_node(label=7, children=[_node()])]))


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"label": 1.5}, "label", "matches no branch of the union"),
        ({"label": True}, "label", "matches no branch of the union"),
        ({"digest": b"\x00"}, "digest", "expected 4 bytes (t.Digest)"),
        ({"flag": 1}, "flag", "expected a bool"),
        ({"weight": True}, "weight", "expected a float"),
        ({"weight": Decimal("1.0")}, "weight", "expected a float"),
        ({"day": datetime(2024, 1, 2, tzinfo=UTC)}, "day", "expected a date"),
        ({"at": "09:30"}, "at", "expected a time"),
        ({"children": (1, 2)}, "children", "expected a list"),
        ({"children": [{"label": "x"}]}, "children[0].digest", "missing field digest"),
        ({"children": [_node(children=[_node(flag="no")])]}, "children[0].children[0].flag", ""),
    ],
)
def test_invalid_values_name_the_path(
    validate: Validator, change: dict[str, Any], field: str, problem: str
) -> None:
    with pytest.raises(FieldEncodeError) as info:
        validate(_node(**change))
    assert info.value.field == field
    assert problem in info.value.problem
    assert info.value.schema_name == "t.Node"


def test_maps_need_string_keys() -> None:
    validate = Validator({"type": "map", "values": "long"}, name="counts")
    validate({"a": 1})
    with pytest.raises(FieldEncodeError, match="map keys must be str"):
        validate({1: 1})
    with pytest.raises(FieldEncodeError, match=r"field \['a'\]: expected an integer"):
        validate({"a": "1"})


def test_undefined_references_fail_at_compile_time() -> None:
    with pytest.raises(SchemaDefinitionError, match=r"t\.Missing"):
        Validator({"type": "array", "items": "t.Missing"})
