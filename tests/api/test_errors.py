"""Bad input gets the one error shape with the right status, never a 500."""

from __future__ import annotations

from tests.api.conftest import Api


def test_validation_errors_name_the_field(api: Api) -> None:
    response = api.client.get("/api/v1/alerts?limit=0", headers=api.headers("operator"))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["query", "limit"]
    assert detail[0]["msg"].startswith("query.limit:")


def test_bad_bodies_and_ids_are_422_not_500(api: Api) -> None:
    h = api.headers("admin")
    bad_status = api.client.post(
        "/api/v1/tasks/tk_1/status", json={"status": "teleported"}, headers=h
    )
    assert bad_status.status_code == 422
    assert bad_status.json()["detail"][0]["loc"] == ["body", "status"]
    not_json = api.client.post(
        "/api/v1/silences", content=b"{", headers={**h, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 422
    weird_id = api.client.get("/api/v1/cameras/%00x", headers=h)
    assert weird_id.status_code == 422
    empty_silence = api.client.post(
        "/api/v1/silences", json={"ends_at": "2099-01-01T00:00:00Z"}, headers=h
    )
    assert empty_silence.status_code == 422
    assert "at least one camera" in empty_silence.json()["detail"][0]["msg"]


def test_unknown_paths_are_404_in_the_error_shape(api: Api) -> None:
    response = api.client.get("/api/v1/nothing-here", headers=api.headers("admin"))
    assert response.status_code == 404
    assert response.json()["detail"][0]["msg"]


def test_silences_are_created_listed_and_published(api: Api) -> None:
    h = api.headers("operator")
    created = api.client.post(
        "/api/v1/silences",
        json={"cameras": ["cam-1"], "ends_at": "2099-01-01T00:00:00+08:00", "comment": "换镜头"},
        headers=h,
    )
    assert created.status_code == 201
    silence = created.json()
    assert silence["created_by"] == "test operator"
    listed = api.client.get("/api/v1/silences", headers=h).json()
    assert [s["id"] for s in listed] == [silence["id"]]
    assert (
        api.client.post(
            "/api/v1/silences",
            json={"cameras": ["cam-1"], "ends_at": "2099-01-01T00:00:00"},
            headers=h,
        ).status_code
        == 422
    )
