"""Bearer tokens and roles: 401 without or with a bad token, 403 for the wrong role."""

from __future__ import annotations

import pytest

from gapwatch.api.auth import hash_token
from gapwatch.storage import ApiTokenRow, transaction
from tests.api.conftest import Api


def test_healthz_needs_no_token(api: Api) -> None:
    response = api.client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic YWRtaW46YWRtaW4="}],
)
def test_no_or_bad_token_is_401_in_the_one_error_shape(api: Api, headers: dict[str, str]) -> None:
    response = api.client.get("/api/v1/cameras", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert set(body) == {"detail"}
    assert body["detail"][0]["msg"]


def test_roles_reach_exactly_what_they_may(api: Api) -> None:
    def status(method: str, url: str, role: str, **kw: object) -> int:
        return api.client.request(method, url, headers=api.headers(role), **kw).status_code  # type: ignore[arg-type]

    # Reading: everyone but the dispatch system.
    for role in ("operator", "technician", "admin"):
        assert status("GET", "/api/v1/cameras", role) == 200
    assert status("GET", "/api/v1/cameras", "dispatcher") == 403
    assert status("GET", "/api/v1/alerts", "dispatcher") == 403
    assert status("GET", "/api/v1/events", "dispatcher") == 403
    assert status("GET", "/metrics", "dispatcher") == 403
    assert status("GET", "/api/v1/dashboard/session", "dispatcher") == 403
    # A dispatcher lists its own tasks (none yet), and an unknown task is a 404 as for anyone.
    assert status("GET", "/api/v1/tasks", "dispatcher") == 200
    assert status("GET", "/api/v1/tasks/tk_x", "dispatcher") == 404
    assert status("GET", "/api/v1/tasks/tk_x", "operator") == 404
    # Responding to alerts: operators and admins, not technicians.
    assert status("POST", "/api/v1/alerts/al_x/ack", "technician") == 403
    assert status("POST", "/api/v1/alerts/al_x/ack", "dispatcher") == 403
    assert status("POST", "/api/v1/alerts/al_x/ack", "operator") in (404, 503)
    # Task callbacks: the dispatch system (and admins); operators cannot fake them.
    body = {"status": "accepted"}
    assert status("POST", "/api/v1/tasks/tk_x/status", "operator", json=body) == 403
    assert status("POST", "/api/v1/tasks/tk_x/status", "dispatcher", json=body) in (404, 503)
    # Tokens: admins only.
    assert status("GET", "/api/v1/tokens", "operator") == 403
    assert status("GET", "/api/v1/tokens", "admin") == 200


def test_tokens_are_stored_hashed_and_revocation_takes_effect(api: Api) -> None:
    created = api.client.post(
        "/api/v1/tokens",
        json={"role": "operator", "name": "值班员 王"},
        headers=api.headers("admin"),
    )
    assert created.status_code == 201
    token = created.json()["token"]
    with transaction(api.service.sessions, write=False) as session:
        hashes = {row.token_hash for row in session.query(ApiTokenRow)}
    assert hash_token(token) in hashes
    assert token not in hashes
    listed = api.client.get("/api/v1/tokens", headers=api.headers("admin")).json()
    assert all("token" not in t and "token_hash" not in t for t in listed)
    me = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/cameras", headers=me).status_code == 200
    revoked = api.client.delete(
        f"/api/v1/tokens/{created.json()['id']}", headers=api.headers("admin")
    )
    assert revoked.status_code == 204
    assert api.client.get("/api/v1/cameras", headers=me).status_code == 401
