"""Stored JSON text spliced into a model's JSON (`with_raw_json`), as GET /alerts and
GET /coverage send blind spots."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from gapwatch.api.schemas import with_raw_json


class Zone(BaseModel):
    name: str


class Body(BaseModel):
    note: str
    zones: list[Zone]
    blind_spots: list[int]
    tail: str


def test_the_key_gets_the_raw_text_and_a_value_that_looks_like_it_is_left_alone() -> None:
    # A name holding the key's text: in JSON its quotes are escaped, so it cannot match.
    tricky = 'a "blind_spots":[] b'
    body = Body(note=tricky, zones=[Zone(name=tricky)], blind_spots=[], tail="end")
    raw = '[{"type":"Polygon","coordinates":[]}]'
    out = json.loads(with_raw_json(body.model_dump_json(), "blind_spots", raw))
    assert out == {
        "note": tricky,
        "zones": [{"name": tricky}],
        "blind_spots": [{"type": "Polygon", "coordinates": []}],
        "tail": "end",
    }


def test_a_body_without_the_empty_key_is_refused() -> None:
    body = Body(note="x", zones=[], blind_spots=[1], tail="")
    with pytest.raises(ValueError, match="blind_spots"):
        with_raw_json(body.model_dump_json(), "blind_spots", "[]")
