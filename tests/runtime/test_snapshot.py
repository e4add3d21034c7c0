"""One live-coverage snapshot: published after each commit, followed by a replica via the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapwatch.api.coverage import live_snapshot
from gapwatch.coverage import CoverageModel
from gapwatch.runtime.pipeline import Service, build_service
from gapwatch.runtime.snapshot import SnapshotBook
from gapwatch.settings import Settings
from gapwatch.storage import transaction
from gapwatch.vision.types import ProbeResult
from tests.api.site import write_site
from tests.coverage.towns import Town, towns

T0 = dt.datetime(2026, 7, 29, 12, 0, tzinfo=dt.UTC)
STEP = dt.timedelta(seconds=30)


@pytest.fixture
def pair(tmp_path: Path, db_url: str) -> Iterator[tuple[Service, Service]]:
    settings = Settings(db_url=db_url, site=write_site(tmp_path), scheduler=False)
    prober, replica = build_service(settings), build_service(settings)
    try:
        yield prober, replica
    finally:
        prober.stop()
        replica.stop()


def test_the_snapshot_follows_each_commit_and_a_replica_follows_the_store(
    pair: tuple[Service, Service],
) -> None:
    prober, replica = pair
    first = prober.snapshots.current()
    assert "cam-1" in first.healthy
    at = T0
    for _ in range(prober.site.spec.health.open_after):
        verdict = ProbeResult(status="offline", faults=["no_signal"], elapsed_s=1.0)
        prober.handle_probe("cam-1", at, verdict)
        at += STEP
    after = prober.snapshots.current()
    assert after.generation > first.generation and "cam-1" not in after.healthy
    # Its coverage is the model's for exactly those cameras, and less than before.
    assert after.result.covered_m2 < first.result.covered_m2
    assert after.result.covered_m2 == pytest.approx(
        prober.coverage.compute(after.healthy, overlap=False).covered_m2
    )
    # The replica never saw a probe: the store tells it, and it moves to the same set.
    with transaction(replica.sessions, write=False) as session:
        seen = live_snapshot(replica, session)
        again = live_snapshot(replica, session)
    assert seen.healthy == after.healthy and seen.generation == 1
    assert again is seen  # unchanged: the same snapshot, its views rendered once
    calls: list[int] = []
    for _ in range(2):
        seen.view("count", lambda snap: calls.append(1) or len(snap.healthy))
    assert calls == [1]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(towns(), st.data())
def test_a_snapshot_made_from_the_previous_one_is_the_one_made_from_nothing(
    town: Town, data: st.DataObject
) -> None:
    """Each snapshot recomputes only the zones the changed cameras reach; the rest it takes
    from its predecessor. Whatever the order of changes and reads, the result must be the
    one computed from nothing, and each blind geometry's GeoJSON is written once."""
    scene = town.scene
    model = CoverageModel.build(scene.zones, scene.obstacles, scene.cameras, min_blind_area_m2=0.0)
    ids = [c.id for c in scene.cameras]
    book = SnapshotBook(model)
    written: list[object] = []

    def render(geometries: list[object]) -> list[str]:
        written.extend(geometries)
        return [str(id(g)) for g in geometries]

    healthy = set(ids)
    for _ in range(data.draw(st.integers(1, 6), label="rounds")):
        flipped = data.draw(st.sets(st.sampled_from(ids), max_size=3), label="flip")
        healthy ^= flipped
        snap = book.publish(healthy)
        if not data.draw(st.booleans(), label="read"):
            continue  # published but never read: the next one starts further back
        got = snap.result
        fresh = model.compute(healthy, overlap=False)
        assert got.healthy == fresh.healthy
        for mine, theirs in zip(got.zones, fresh.zones, strict=True):
            assert mine.covered_m2 == pytest.approx(theirs.covered_m2, abs=1e-6)
        assert [s.zone for s in got.blind_spots] == [s.zone for s in fresh.blind_spots]
        assert [s.area_m2 for s in got.blind_spots] == pytest.approx(
            [s.area_m2 for s in fresh.blind_spots], abs=1e-6
        )
        before = len(written)
        geometries = [s.geometry for s in got.blind_spots]
        texts = book.geojson.texts(geometries, render)
        assert texts == [str(id(g)) for g in geometries]
        # Read again: nothing is written twice.
        assert book.geojson.texts(geometries, render) == texts
        assert len(written) - before <= len(geometries)


def test_only_the_zones_a_change_reaches_are_written_again() -> None:
    """Two far-apart zones: a camera going down in one leaves the other's GeoJSON as it was."""
    from gapwatch.coverage import CameraGeometry, ZoneShape

    zones = [
        ZoneShape("west", "west", 3, shapely.box(0, 0, 40, 40)),
        ZoneShape("east", "east", 3, shapely.box(1000, 0, 1040, 40)),
    ]
    cameras = [
        CameraGeometry("w", -5.0, 20.0, 90.0, 60.0, 30.0),
        CameraGeometry("e", 995.0, 20.0, 90.0, 60.0, 30.0),
    ]
    model = CoverageModel.build(zones, [], cameras, min_blind_area_m2=0.0)
    book = SnapshotBook(model)
    written: list[str] = []

    def render(geometries: list[object]) -> list[str]:
        zones_of = {id(s.geometry): s.zone for s in book.current().result.blind_spots}
        written.extend(zones_of[id(g)] for g in geometries)
        return ["{}" for _ in geometries]

    first = book.publish({"w", "e"})
    book.geojson.texts([s.geometry for s in first.result.blind_spots], render)
    assert sorted(written) == ["east", "west"]
    written.clear()
    after = book.publish({"e"})
    book.geojson.texts([s.geometry for s in after.result.blind_spots], render)
    assert written == ["west"]


def test_the_memo_lets_go_of_objects_no_longer_asked_for() -> None:
    from gapwatch.runtime.snapshot import TextMemo

    memo = TextMemo()
    calls: list[int] = []

    def render(objects: list[object]) -> list[str]:
        calls.append(len(objects))
        return [f"t{id(o)}" for o in objects]

    kept = [object() for _ in range(10)]
    for _ in range(50):  # ten objects that stay, and ten new ones each time
        fresh = [object() for _ in range(10)]
        texts = memo.texts(kept + fresh, render)
        assert texts == [f"t{id(o)}" for o in kept + fresh]
        assert len(memo._texts) <= 2 * 20 + 64  # bounded, not every object ever seen
    assert calls[0] == 20 and set(calls[1:]) == {10}  # the ten that stay are written once
