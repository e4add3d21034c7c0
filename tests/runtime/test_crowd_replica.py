"""The crowd beyond the probing process: an API replica on the same store answers with the
prober's counts and road-patrol order, and a prober started again holds the counts it had.

Two services on one database (a SQLite file, and PostgreSQL when GAPWATCH_TEST_PG_URL is set),
each with its own engine and memory as two processes would have, on the demo site.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from gapwatch.api import create_app
from gapwatch.runtime.pipeline import Service, build_service
from gapwatch.settings import Settings
from gapwatch.storage import CrowdCameraRow, transaction, utcnow
from gapwatch.vision.types import ProbeResult
from tests.api.conftest import ADMIN_TOKEN
from tests.api.serving import running
from tests.runtime.crowd_scene import DEMO, INTERVAL, SQUARE, people_in, probe_round

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _settings(db_url: str) -> Settings:
    return Settings(db_url=db_url, site=DEMO, admin_token=ADMIN_TOKEN, scheduler=False)


@pytest.fixture
def prober(db_url: str) -> Iterator[Service]:
    svc = build_service(_settings(db_url))
    yield svc
    svc.stop()


@pytest.fixture
def replica(db_url: str) -> Iterator[tuple[httpx.Client, Service]]:
    app = create_app(_settings(db_url))
    with running(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        yield client, app.state.service


def _crowd(svc: Service, n: int) -> dict[str, object]:
    return {
        "cam-022": people_in(svc, "cam-022", SQUARE, n, seed=1),
        "cam-024": people_in(svc, "cam-024", SQUARE, n, seed=2),
    }


def _zones(svc: Service) -> dict[str, tuple[float, float, tuple[str, ...]]]:
    assert svc.crowd is not None
    return {z: (c.people, c.watched_m2, c.cameras) for z, c in svc.crowd.zone_crowds().items()}


def _order(svc: Service, at: dt.datetime) -> list[tuple[str, ...]]:
    return [tuple(svc.alerts.open_alerts[a].cameras) for a, _ in svc.alerts.road_patrol_order(at)]


@pytest.mark.slow
def test_the_replica_answers_with_the_probers_crowd_and_patrol_order(
    prober: Service, replica: tuple[httpx.Client, Service]
) -> None:
    client, mirror = replica
    assert mirror is not prober
    now = utcnow()
    probe_round(prober, now - 2 * INTERVAL, {})
    probe_round(prober, now - INTERVAL, {})  # the faulty cameras' alerts open
    probe_round(prober, now, _crowd(prober, 3000))  # type: ignore[arg-type]
    assert prober.crowd is not None and prober.crowd.zone_crowds()[SQUARE].people > 3000

    mirror.refresh_alerts()  # what the replica's refresher does every two seconds
    assert _zones(mirror) == _zones(prober)
    assert mirror.crowd is not None
    assert mirror.crowd.camera_people() == prober.crowd.camera_people()
    # The crowd moved cam-023's blind spot up the order; the replica's dispatchers see that.
    assert _order(mirror, now) == _order(prober, now)
    assert _order(mirror, now)[0] == ("cam-023",)

    body = client.get("/api/v1/crowd", headers=AUTH).json()
    square = next(z for z in body["zones"] if z["zone"] == SQUARE)
    assert square["counted"] and square["people"] == round(
        prober.crowd.zone_crowds()[SQUARE].people, 2
    )
    assert [o["alert_id"] for o in body["road_patrol_order"]] == [
        a for a, _ in prober.alerts.road_patrol_order(utcnow())
    ]

    # A camera that stops counting on the prober stops counting on the replica.
    prober.handle_probe("cam-024", now + INTERVAL, ProbeResult("degraded", ["blur"]))
    mirror.refresh_alerts()
    assert "cam-024" not in mirror.crowd.camera_people()
    assert _zones(mirror) == _zones(prober)


@pytest.mark.slow
def test_a_prober_started_again_holds_the_counts_and_lets_go_of_a_failed_camera(
    db_url: str,
) -> None:
    first = build_service(_settings(db_url))
    try:
        probe_round(first, dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC), _crowd(first, 200))  # type: ignore[arg-type]
        held = _zones(first)
    finally:
        first.stop()
    assert held[SQUARE][0] > 200

    again = build_service(_settings(db_url))
    try:
        assert _zones(again) == held
        # The restarted prober's first verdict on a camera replaces its stored count, including
        # a failure that leaves nobody counted: the row says so for every reader.
        later = dt.datetime(2026, 12, 2, 2, 1, tzinfo=dt.UTC)
        again.handle_probe("cam-022", later, ProbeResult("offline", ["no_signal"]))
        with transaction(again.sessions, write=False) as session:
            row = session.get(CrowdCameraRow, "cam-022")
            assert row is not None and row.points is None and row.people == 0.0
        assert again.crowd is not None and "cam-022" not in again.crowd.camera_people()
    finally:
        again.stop()


def test_counts_of_a_write_that_failed_are_written_with_the_next_one(prober: Service) -> None:
    ledger, crowd = prober.crowd_ledger, prober.crowd
    assert ledger is not None and crowd is not None
    at = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)
    count = people_in(prober, "cam-024", SQUARE, 30, seed=3, alone=True)
    assert crowd.observe("cam-024", count)
    with pytest.raises(RuntimeError), transaction(prober.sessions) as session:
        ledger.record(session, {"cam-024"}, at=at)
        raise RuntimeError("the store went away before the commit")
    with transaction(prober.sessions) as session:
        ledger.record(session, set(), at=at + INTERVAL)  # a batch in which nothing moved
    ledger.committed()
    with transaction(prober.sessions, write=False) as session:
        rows = session.scalars(select(CrowdCameraRow)).all()
    assert [r.camera_id for r in rows] == ["cam-024"]
    assert rows[0].people == pytest.approx(30)
    assert rows[0].points == crowd.placed("cam-024")


@pytest.mark.parametrize(
    "points", ["nobody", [[1.0, 2.0]], [[1.0, "x", 1.0]], [[1.0, 2.0, -3.0]], [[1e400, 2.0, 1.0]]]
)
def test_an_unreadable_stored_count_is_nobody_and_never_stops_a_start(
    db_url: str, points: object
) -> None:
    if points == [[1e400, 2.0, 1.0]] and db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's json refuses an infinite number outright")
    first = build_service(_settings(db_url))
    try:
        probe_round(first, dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC), _crowd(first, 50))  # type: ignore[arg-type]
        with transaction(first.sessions) as session:
            row = session.get(CrowdCameraRow, "cam-022")
            assert row is not None
            row.points = points  # type: ignore[assignment]
            row.version += 1
    finally:
        first.stop()
    again = build_service(_settings(db_url))  # starts, and reads the other rows
    try:
        assert again.crowd is not None
        people = again.crowd.camera_people()
        assert "cam-022" not in people and people["cam-024"] > 0
        again.refresh_alerts()  # the refresh that follows the rows runs without raising
    finally:
        again.stop()


def test_a_count_that_is_not_finite_counts_no_one_and_is_stored(prober: Service) -> None:
    ledger, crowd = prober.crowd_ledger, prober.crowd
    assert ledger is not None and crowd is not None
    assert crowd.take("cam-024", [[1.0, 2.0, float("nan")], [1.0, float("inf"), 1.0]])
    assert crowd.camera_people()["cam-024"] == 0.0  # no NaN in the zone sums
    at = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)
    with transaction(prober.sessions) as session:  # on PostgreSQL NaN in json fails the commit
        ledger.record(session, {"cam-024"}, at=at)
    ledger.committed()
    with transaction(prober.sessions, write=False) as session:
        row = session.get(CrowdCameraRow, "cam-024")
        assert row is not None and row.points == [] and row.people == 0.0
