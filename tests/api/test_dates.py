"""Dates at the edges of what Python can hold are a 422 in the one error shape, never a 500."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api


def _assert_one_shape_422(response_json: object, status: int) -> None:
    assert status == 422, response_json
    assert isinstance(response_json, dict)
    detail = response_json["detail"]
    assert isinstance(detail, list) and detail
    assert all(isinstance(d["msg"], str) and d["msg"] for d in detail)


@pytest.mark.parametrize(
    "body",
    [
        {"cameras": ["cam-1"], "ends_at": "9999-12-31T23:59:59-12:00"},
        {
            "cameras": ["cam-1"],
            "starts_at": "0001-01-01T00:00:00+14:00",
            "ends_at": "2030-01-01T00:00:00Z",
        },
        {"cameras": ["cam-1"], "ends_at": "2300-01-01T00:00:00Z"},
        {"cameras": ["cam-1"], "ends_at": "2030-01-01T00:00:00"},
    ],
)
def test_silence_times_out_of_range_are_422(api: Api, body: dict[str, object]) -> None:
    response = api.client.post("/api/v1/silences", json=body, headers=api.headers("operator"))
    _assert_one_shape_422(response.json(), response.status_code)


@pytest.mark.parametrize(
    "start", ["9999-12-31", "9999-12-31T23:00:00-12:00", "0001-01-01T00:00:00+14:00", "2026-07-30"]
)
def test_patrol_rounds_from_out_of_range_is_422(api: Api, start: str) -> None:
    response = api.client.get(
        "/api/v1/patrol-rounds", params={"from": start}, headers=api.headers("operator")
    )
    _assert_one_shape_422(response.json(), response.status_code)


def test_a_silence_with_an_ordinary_offset_still_works(api: Api) -> None:
    response = api.client.post(
        "/api/v1/silences",
        json={"cameras": ["cam-1"], "ends_at": "2099-07-30T21:00:00+08:00"},
        headers=api.headers("operator"),
    )
    assert response.status_code in (200, 201), response.text
    assert response.json()["ends_at"].startswith("2099-07-30T13:00:00")
