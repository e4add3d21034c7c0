"""Dispatcher tokens reach only their own tasks: those sent to the dispatch endpoint they are bound
to and/or assigned to their patrol unit. Another task is a 404, like one that does not exist."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from gapwatch.api.auth import DbTokenStore, Role, hash_token, new_token
from gapwatch.storage import (
    ApiTokenRow,
    DispatchEndpointRow,
    make_engine,
    migrate,
    session_factory,
    transaction,
    utcnow,
)
from tests.api.conftest import Api
from tests.api.test_alert_flow import _down


def _endpoint(api: Api, endpoint_id: str) -> None:
    # Port 9 (discard) on loopback refuses: delivery retries there, harmlessly.
    with transaction(api.service.sessions) as session:
        session.add(DispatchEndpointRow(id=endpoint_id, url="http://127.0.0.1:9/hook"))


def _token(api: Api, **binding: str) -> dict[str, str]:
    body = {"role": "dispatcher", "name": f"cad {binding}", **binding}
    made = api.client.post("/api/v1/tokens", json=body, headers=api.headers("admin"))
    assert made.status_code == 201, made.text
    stored = made.json()
    assert (stored["endpoint_id"], stored["unit_id"]) == (
        binding.get("endpoint_id"),
        binding.get("unit_id"),
    )
    return {"Authorization": f"Bearer {stored['token']}"}


def _road_patrol(api: Api) -> dict[str, object]:
    alerts = api.client.get("/api/v1/alerts?status=open", headers=api.headers("operator")).json()
    (alert,) = alerts["items"]
    road: dict[str, object] = alert["road_patrol"]
    assert road["assignee"] == "unit-1"
    return road


def test_a_dispatcher_reaches_only_the_tasks_of_its_endpoint_and_unit(api: Api) -> None:
    _endpoint(api, "north")
    _down(api, "cam-1")  # its road patrol goes to unit-1 and is sent to `north` only
    _endpoint(api, "south")
    road = _road_patrol(api)
    task_url = f"/api/v1/tasks/{road['id']}"
    by_unit = api.headers("dispatcher")  # bound to unit-1 (see conftest)
    north = _token(api, endpoint_id="north")
    south = _token(api, endpoint_id="south")
    south_unit = _token(api, endpoint_id="south", unit_id="unit-1")
    north_unit = _token(api, endpoint_id="north", unit_id="unit-1")

    for mine in (by_unit, north, north_unit):
        assert api.client.get(task_url, headers=mine).json()["id"] == road["id"]
        listed = api.client.get("/api/v1/tasks", headers=mine).json()
        assert [t["id"] for t in listed["items"]] == [road["id"]] and listed["total"] == 1
    # Not theirs: the same 404 as a task that does not exist, and nothing in the list.
    missing = api.client.get("/api/v1/tasks/tk_does-not-exist", headers=south)
    for other in (south, south_unit):
        refused = api.client.get(task_url, headers=other)
        assert refused.status_code == 404
        assert set(refused.json()) == {"detail"}
        assert refused.json()["detail"][0]["msg"] == (
            missing.json()["detail"][0]["msg"].replace("tk_does-not-exist", str(road["id"]))
        )
        assert api.client.get("/api/v1/tasks", headers=other).json()["total"] == 0
        posted = api.client.post(f"{task_url}/status", headers=other, json={"status": "accepted"})
        assert posted.status_code == 404
    unchanged = api.client.get(task_url, headers=api.headers("operator")).json()["status"]
    assert unchanged == road["status"]

    # Its own task it reports on; the report is recorded under the token's name.
    accepted = api.client.post(f"{task_url}/status", headers=north, json={"status": "accepted"})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    # A refusal hands the patrol to a new task with no unit: not unit-1's to see any more.
    rejected = api.client.post(f"{task_url}/status", headers=by_unit, json={"status": "rejected"})
    assert rejected.status_code == 200
    mine = api.client.get("/api/v1/tasks", headers=by_unit).json()["items"]
    assert [t["id"] for t in mine] == [road["id"]]
    everything = api.client.get("/api/v1/tasks", headers=api.headers("operator")).json()
    assert everything["total"] == 2  # readers see every task


def test_a_dispatcher_cannot_open_the_dashboard_or_read_anything_else(api: Api) -> None:
    dispatcher = api.headers("dispatcher")
    for path in (
        "/api/v1/dashboard/session",
        "/api/v1/dashboard/map",
        "/api/v1/cameras",
        "/api/v1/alerts",
        "/api/v1/coverage",
        "/api/v1/tokens",
    ):
        response = api.client.get(path, headers=dispatcher)
        assert response.status_code == 403, path
        assert response.json()["detail"][0]["msg"], path
    # Readers still open the dashboard.
    session = api.client.get("/api/v1/dashboard/session", headers=api.headers("operator"))
    assert session.status_code == 200


def test_a_dispatcher_token_without_a_binding_reaches_no_task(api: Api) -> None:
    _down(api, "cam-1")
    road = _road_patrol(api)
    # A dispatcher token stored before bindings existed (the migration leaves it unbound).
    token = new_token()
    with transaction(api.service.sessions) as session:
        session.add(ApiTokenRow(name="old cad", role="dispatcher", token_hash=hash_token(token)))
    old = {"Authorization": f"Bearer {token}"}
    for method, path, body in (
        ("GET", "/api/v1/tasks", None),
        ("GET", f"/api/v1/tasks/{road['id']}", None),
        ("POST", f"/api/v1/tasks/{road['id']}/status", {"status": "accepted"}),
    ):
        response = api.client.request(method, path, headers=old, json=body)
        assert response.status_code == 403, path
        assert "bound" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"role": "dispatcher"}, "must be bound"),
        ({"role": "operator", "unit_id": "unit-1"}, "only dispatcher"),
        ({"role": "admin", "endpoint_id": "default"}, "only dispatcher"),
        ({"role": "dispatcher", "unit_id": "unit-9"}, "no patrol unit"),
        ({"role": "dispatcher", "endpoint_id": "nowhere"}, "no dispatch endpoint"),
        ({"role": "dispatcher", "unit_id": "unit 1; drop"}, "unit_id"),
    ],
)
def test_token_bindings_that_do_not_fit_are_refused(
    api: Api, body: dict[str, str], says: str
) -> None:
    response = api.client.post(
        "/api/v1/tokens", json={"name": "x", **body}, headers=api.headers("admin")
    )
    assert response.status_code == 422
    assert says in " ".join(item["msg"] for item in response.json()["detail"])


def test_tokens_list_their_binding(api: Api) -> None:
    _token(api, unit_id="unit-1")
    listed = api.client.get("/api/v1/tokens", headers=api.headers("admin")).json()
    bindings = {(t["role"], t["endpoint_id"], t["unit_id"]) for t in listed}
    assert ("dispatcher", None, "unit-1") in bindings
    assert ("operator", None, None) in bindings


# ------------------------------------------------------------------ the migration


def test_the_migration_keeps_old_tokens_and_leaves_them_unbound(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        migrate(engine, "0001")
        token = new_token()
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO api_tokens (id, name, role, token_hash, created_at) "
                    "VALUES ('tok_old', 'old cad', 'dispatcher', :hash, :at)"
                ),
                {"hash": hash_token(token), "at": utcnow()},
            )
        migrate(engine)
        record = DbTokenStore(session_factory(engine)).find(hash_token(token))
        assert record is not None
        assert (record.role, record.endpoint_id, record.unit_id) == (Role.dispatcher, None, None)
    finally:
        engine.dispose()
