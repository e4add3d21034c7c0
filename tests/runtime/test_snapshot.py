"""One live-coverage snapshot: published after each commit, followed by a replica via the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from gapwatch.api.coverage import live_snapshot
from gapwatch.runtime.pipeline import Service, build_service
from gapwatch.settings import Settings
from gapwatch.storage import transaction
from gapwatch.vision.types import ProbeResult
from tests.api.site import write_site

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
