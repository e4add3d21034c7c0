"""Baselines in the service: learned from healthy probes of a real clip, saved and reloaded."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from gapwatch.runtime.baselines import BaselineBook
from gapwatch.storage import BaselineRow, SessionFactory, transaction
from gapwatch.vision import ProbePool

CLIPS = Path(__file__).resolve().parents[2] / "sample_streams" / "clips"


def test_healthy_probes_teach_the_baseline_and_it_survives_a_restart(
    db_factory: SessionFactory,
) -> None:
    clip = CLIPS / "clean_day.mp4"
    if not clip.exists():
        pytest.skip("sample clips are not built")
    book = BaselineBook(db_factory, {})
    baseline = book.for_camera("cam-1")
    assert not baseline.knows("day") and not baseline.knows("night")
    with ProbePool(max_workers=1, judge=book.judge) as pool:
        result = pool.probe(str(clip), timeout_s=20, baseline=baseline)
    assert result.status == "ok", result
    assert baseline.knows("day") or baseline.knows("night")
    assert book.save(dt.datetime.now(dt.UTC)) == 1
    assert book.save(dt.datetime.now(dt.UTC)) == 0  # nothing new learned since
    with transaction(db_factory, write=False) as session:
        modes = {row.mode for row in session.query(BaselineRow).filter_by(camera_id="cam-1")}
    assert modes == {"day", "night"}

    reloaded = BaselineBook(db_factory, {}).for_camera("cam-1")
    assert reloaded.day.samples == baseline.day.samples
    assert reloaded.night.samples == baseline.night.samples


def test_a_damaged_stored_baseline_is_replaced_not_fatal(db_factory: SessionFactory) -> None:
    with transaction(db_factory) as session:
        session.add(BaselineRow(camera_id="cam-2", mode="day", data={"mode": {"oops": 1}}))
    baseline = BaselineBook(db_factory, {}).for_camera("cam-2")
    assert baseline.day.samples == 0
