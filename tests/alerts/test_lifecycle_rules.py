"""The lifecycle promises that operators rely on, each against a real database."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from sqlalchemy import select

from gapwatch.alerts import AlertEngine, CamerasStillDown
from gapwatch.coverage import CoverageModel
from gapwatch.health import Probe
from gapwatch.site import Site
from gapwatch.storage import AlertRow, SessionFactory, TaskRow, transaction
from tests.alerts import scenario as sc
from tests.alerts.test_engine import started

T0 = sc.local("2026-07-29", "09:00")
STEP = dt.timedelta(seconds=30)


@pytest.fixture(scope="module")
def site() -> Site:
    return sc.site()


@pytest.fixture(scope="module")
def model(site: Site) -> CoverageModel:
    return CoverageModel.from_site(site)


def feed(engine: AlertEngine, db: SessionFactory, *probes: Probe) -> None:
    for probe in probes:
        with transaction(db) as session:
            engine.ingest(session, [probe])


def bad(at: dt.datetime, camera: str = "cam-sw") -> Probe:
    return Probe(at, camera, "offline", ("no_signal",))


def good(at: dt.datetime, camera: str = "cam-sw") -> Probe:
    return Probe(at, camera, "ok")


def open_alerts(db: SessionFactory) -> list[AlertRow]:
    with db() as session:
        return list(
            session.scalars(
                select(AlertRow).where(
                    AlertRow.status != "resolved", AlertRow.kind != "coverage_gap"
                )
            )
        )


def test_resolving_an_alert_whose_camera_is_still_down_is_refused_and_it_stays_watched(
    site: Site, model: CoverageModel, db_factory: SessionFactory
) -> None:
    engine = started(site, model, db_factory)
    feed(engine, db_factory, bad(T0), bad(T0 + STEP))
    alert_id = engine.open_alert_for("cam-sw")
    assert alert_id is not None
    with pytest.raises(CamerasStillDown, match="cam-sw"), transaction(db_factory) as session:
        engine.resolve(session, alert_id=alert_id, by="op-wang", at=T0 + 3 * STEP)
    # Still open, still held in memory, and still there for the next process.
    assert [a.id for a in open_alerts(db_factory)] == [alert_id]
    assert engine.open_alert_for("cam-sw") == alert_id
    restarted = started(site, model, db_factory)
    assert restarted.open_alert_for("cam-sw") == alert_id
    # Once the camera is back, the alert closes by itself (its tasks not yet under way).
    feed(restarted, db_factory, good(T0 + 4 * STEP), good(T0 + 5 * STEP))
    assert open_alerts(db_factory) == []


def test_a_recovered_camera_whose_unit_is_on_scene_can_be_resolved_by_hand(
    site: Site, model: CoverageModel, db_factory: SessionFactory
) -> None:
    engine = started(site, model, db_factory)
    feed(engine, db_factory, bad(T0), bad(T0 + STEP))
    alert_id = engine.open_alert_for("cam-sw")
    assert alert_id is not None
    with db_factory() as session:
        road = session.scalars(select(TaskRow).where(TaskRow.kind == "road_patrol")).one()
    with transaction(db_factory) as session:
        engine.task_status(session, task_id=road.id, status="on_scene", by="cad", at=T0 + 2 * STEP)
    feed(engine, db_factory, good(T0 + 3 * STEP), good(T0 + 4 * STEP))
    assert [a.id for a in open_alerts(db_factory)] == [alert_id]  # the unit is still there
    with transaction(db_factory) as session:
        engine.resolve(session, alert_id=alert_id, by="op-wang", at=T0 + 5 * STEP)
    assert open_alerts(db_factory) == []


@pytest.mark.parametrize("how", ["reload", "restart"])
def test_a_resync_or_restart_between_two_bad_probes_keeps_the_debounce(
    site: Site, model: CoverageModel, db_factory: SessionFactory, how: str
) -> None:
    assert site.spec.health.open_after == 2
    engine = started(site, model, db_factory)
    feed(engine, db_factory, good(T0), bad(T0 + STEP))
    assert open_alerts(db_factory) == []
    if how == "reload":
        with transaction(db_factory, write=False) as session:
            engine.reload(session)
    else:
        engine = started(site, model, db_factory)
    feed(engine, db_factory, bad(T0 + 2 * STEP))
    assert [a.cameras for a in open_alerts(db_factory)] == [["cam-sw"]]


def test_a_resync_does_not_make_one_good_probe_close_an_outage(
    site: Site, model: CoverageModel, db_factory: SessionFactory
) -> None:
    engine = started(site, model, db_factory)
    feed(engine, db_factory, bad(T0), bad(T0 + STEP), good(T0 + 2 * STEP))
    with transaction(db_factory, write=False) as session:
        engine.reload(session)
    feed(engine, db_factory, bad(T0 + 3 * STEP), good(T0 + 4 * STEP))
    # ok, bad, ok never made two good probes in a row: the camera stays down, its alert open.
    assert [a.cameras for a in open_alerts(db_factory)] == [["cam-sw"]]


class _CountingService:
    """Counts reloads; the only part of the service `refusals_as_conflicts` touches."""

    def __init__(self) -> None:
        self.resyncs = 0

    def resync(self) -> None:
        self.resyncs += 1


def test_a_refusal_answers_409_without_reloading_and_a_failure_reloads() -> None:
    from gapwatch.alerts import EngineError
    from gapwatch.api.errors import ConflictError, refusals_as_conflicts

    service = _CountingService()
    with pytest.raises(ConflictError), refusals_as_conflicts(service):  # type: ignore[arg-type]
        raise EngineError("alert al-1 is already resolved")
    assert service.resyncs == 0
    with pytest.raises(RuntimeError), refusals_as_conflicts(service):  # type: ignore[arg-type]
        raise RuntimeError("database went away")
    assert service.resyncs == 1


def test_a_video_patrol_lists_only_views_that_see_part_of_the_gap_or_is_not_raised(
    site: Site, model: CoverageModel, db_factory: SessionFactory
) -> None:
    from gapwatch.alerts.records import geometry_from_features
    from gapwatch.patrol import MIN_VIEW_M2

    engine = started(site, model, db_factory)
    at = T0
    with_views = without_views = 0
    for camera in model.camera_ids:
        if with_views >= 2 and without_views >= 1:
            break
        feed(engine, db_factory, bad(at, camera), bad(at + STEP, camera))
        at += 2 * STEP
        alert_id = engine.open_alert_for(camera)
        assert alert_id is not None
        with db_factory() as session:
            alert = session.get(AlertRow, alert_id)
            assert alert is not None
            tasks = {t.kind: t for t in alert.tasks}
            pieces = geometry_from_features(alert.blind_spots, site.projection)
        if not pieces:
            assert tasks == {}  # only slivers went blind
        else:
            # The oracle: each other camera's own view against the alert's blind ground.
            ground = shapely.union_all(list(pieces.values()))
            expected = {
                other
                for i, other in enumerate(model.camera_ids)
                if other != camera
                and shapely.area(shapely.intersection(model.view_geometries[i], ground))
                >= MIN_VIEW_M2
            }
            road = tasks["road_patrol"].payload
            if "video_patrol" in tasks:
                views = tasks["video_patrol"].payload["views"]
                assert views and all(v["seen_m2"] >= MIN_VIEW_M2 for v in views)
                assert {v["camera"] for v in views if v["preset"] is None} == expected
                assert road["video_views"] is True and "note" not in road
                with_views += 1
            else:
                assert expected == set()
                assert road["video_views"] is False
                assert "摄像机" in road["note"]["zh-CN"] and "camera" in road["note"]["en"]
                without_views += 1
        feed(engine, db_factory, good(at, camera), good(at + STEP, camera))
        at += 2 * STEP
    assert with_views and without_views  # the example site has both kinds of camera


def _corrupt_ground(db: SessionFactory, alert_id: str) -> None:
    with transaction(db) as session:
        alert = session.get(AlertRow, alert_id)
        assert alert is not None
        alert.blind_spots = [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": 7}}]


def test_an_alert_that_cannot_be_loaded_is_quarantined_and_its_camera_stays_watched(
    site: Site, model: CoverageModel, db_factory: SessionFactory
) -> None:
    engine = started(site, model, db_factory)
    feed(engine, db_factory, bad(T0), bad(T0 + STEP))
    alert_id = engine.open_alert_for("cam-sw")
    assert alert_id is not None
    _corrupt_ground(db_factory, alert_id)

    restarted = started(site, model, db_factory)  # must not raise
    [held] = restarted.quarantined()
    assert (held.kind, held.record_id) == ("alert", alert_id) and held.error
    # Still open and still holding its camera: more failures join it, no second alert.
    assert restarted.open_alert_for("cam-sw") == alert_id
    feed(restarted, db_factory, bad(T0 + 2 * STEP))
    assert [a.id for a in open_alerts(db_factory)] == [alert_id]
    with transaction(db_factory, write=False) as session:
        restarted.reload(session)  # a resync quarantines it again, never fails
    assert [r.record_id for r in restarted.quarantined()] == [alert_id]
    # Once the camera is back the alert closes as usual.
    feed(restarted, db_factory, good(T0 + 3 * STEP), good(T0 + 4 * STEP))
    assert open_alerts(db_factory) == []


def test_a_load_that_fails_part_way_leaves_the_engine_as_it_was(
    site: Site, model: CoverageModel, db_factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gapwatch.alerts import lifecycle

    engine = started(site, model, db_factory)
    feed(engine, db_factory, bad(T0), bad(T0 + STEP))
    alert_id = engine.open_alert_for("cam-sw")
    tracker, live = engine.tracker, engine.live

    def broken(_row: object) -> None:
        raise RuntimeError("connection lost")

    with transaction(db_factory) as session:
        engine.add_silence(
            session, starts_at=T0, ends_at=T0 + 10 * STEP, by="op", cameras=["cam-ne"]
        )
    monkeypatch.setattr(lifecycle.Silence, "of", broken)  # the silences fail to load
    with pytest.raises(RuntimeError), transaction(db_factory, write=False) as session:
        engine.reload(session)
    assert engine.tracker is tracker and engine.live is live
    assert engine.open_alert_for("cam-sw") == alert_id
    assert set(engine.open_alerts) == {alert_id}


@pytest.mark.parametrize("silenced", [False, True])
def test_an_outage_opened_and_ended_within_one_batch_is_closed_not_forgotten(
    site: Site, model: CoverageModel, db_factory: SessionFactory, silenced: bool
) -> None:
    # A busy writer puts many verdicts of one camera in one transaction. The alert opened by the
    # second one was not yet written when the camera came back, so looking it up found nothing,
    # the engine forgot it, and it stayed open in the store with the camera healthy.
    engine = started(site, model, db_factory)
    if silenced:
        with transaction(db_factory) as session:
            engine.add_silence(
                session, starts_at=T0, ends_at=T0 + 60 * STEP, by="op-li", cameras=["cam-sw"]
            )
    with transaction(db_factory) as session:
        engine.ingest(session, [bad(T0), bad(T0 + STEP), good(T0 + 2 * STEP), good(T0 + 3 * STEP)])
    with db_factory() as session:
        alerts = session.scalars(select(AlertRow).where(AlertRow.kind != "coverage_gap")).all()
        assert [(a.cameras, a.status) for a in alerts] == [(["cam-sw"], "resolved")]
        assert all(t.status == "cancelled" for t in alerts[0].tasks)
    assert engine.open_alert_for("cam-sw") is None
