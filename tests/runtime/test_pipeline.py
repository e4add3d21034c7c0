"""The whole loop in one process: scheduler → real probe of a clip → alert engine → store."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from gapwatch.runtime.pipeline import build_service
from gapwatch.settings import Settings
from gapwatch.storage import AlertRow, ProbeResultRow, TaskRow, transaction
from tests.api.site import write_site

CLIPS = Path(__file__).resolve().parents[2] / "sample_streams" / "clips"


@pytest.mark.slow
def test_a_black_camera_raises_an_alert_with_paired_tasks(tmp_path: Path) -> None:
    clip = CLIPS / "fault_black.mp4"
    if not clip.exists():
        pytest.skip("sample clips are not built")
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'loop.db'}",
        site=write_site(tmp_path, clip=clip, local_streams=True),
        probe_interval_s=2,
        probe_workers=2,
    )
    service = build_service(settings)
    service.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            with transaction(service.sessions, write=False) as session:
                alerts = [a for a in session.scalars(select(AlertRow)) if "cam-2" in a.cameras]
            if alerts:
                break
            assert time.monotonic() < deadline, "no alert for the black camera"
            time.sleep(0.3)
    finally:
        service.stop()
    with transaction(service.sessions, write=False) as session:
        black = list(
            session.scalars(select(ProbeResultRow).where(ProbeResultRow.camera_id == "cam-2"))
        )
        tasks = list(session.scalars(select(TaskRow).where(TaskRow.alert_id == alerts[0].id)))
    assert any("black" in row.faults for row in black)
    # The pipeline keeps the numbers behind each verdict, not only the verdict.
    assert any(row.metrics and row.elapsed_s > 0 for row in black), [
        (row.at, row.status, row.faults, row.metrics, row.elapsed_s, row.reason) for row in black
    ]
    # The gap is ground no working camera sees (behind the kiosk from cam-1), so there is no
    # video patrol, and the road patrol says the unit is the only eye there.
    assert {t.kind for t in tasks} == {"road_patrol"}
    assert all(t.payload["video_views"] is False for t in tasks)
    assert service.metrics.probe_wait_seconds.collect()[0].samples
