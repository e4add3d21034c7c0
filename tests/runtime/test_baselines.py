"""Baselines in the service: learned from healthy probes of a real clip, saved and reloaded."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import cv2
import numpy as np
import pytest

from gapwatch.runtime.baselines import BaselineBook
from gapwatch.storage import BaselineRow, SessionFactory, transaction
from gapwatch.vision import ProbePool
from gapwatch.vision.baseline import Baseline

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


def _learned(tmp_path: Path) -> Baseline:
    """A baseline that has learned one healthy picture (a textured test card)."""
    rng = np.random.default_rng(7)
    picture = tmp_path / "card.png"
    card = (rng.random((360, 640, 3)) * 255).astype(np.uint8)
    cv2.rectangle(card, (100, 80), (400, 300), (30, 200, 90), -1)
    cv2.imwrite(str(picture), card)
    return Baseline.from_image(picture)


def test_a_reset_on_a_replica_reaches_the_prober_and_is_not_overwritten(
    db_factory: SessionFactory, tmp_path: Path
) -> None:
    prober = BaselineBook(db_factory, {})
    replica = BaselineBook(db_factory, {})
    held = prober.for_camera("cam-1")  # the object the scheduler hands to each probe
    prober.adopt("cam-1", _learned(tmp_path))
    assert prober.save(dt.datetime.now(dt.UTC)) == 1
    assert replica.for_camera("cam-1").knows("day")

    replica.reset("cam-1")  # the operator's reset, on the API replica
    # The prober learned more before it looked: its next save must not undo the reset.
    prober.adopt("cam-1", _learned(tmp_path))
    prober.save(dt.datetime.now(dt.UTC))
    assert not held.knows("day") and not held.knows("night")
    assert prober.sync() == 0  # the save already took the reset in
    fresh = BaselineBook(db_factory, {}).for_camera("cam-1")
    assert not fresh.knows("day") and not fresh.knows("night")


def test_sync_takes_in_a_reset_made_elsewhere(db_factory: SessionFactory, tmp_path: Path) -> None:
    prober = BaselineBook(db_factory, {})
    replica = BaselineBook(db_factory, {})
    held = prober.for_camera("cam-1")
    prober.adopt("cam-1", _learned(tmp_path))
    prober.save(dt.datetime.now(dt.UTC))
    assert prober.sync() == 0  # nothing new from others
    replica.reset("cam-1", "day")
    assert prober.sync() == 1
    assert not held.knows("day")  # in place: the next probe judges without the old picture
    assert prober.sync() == 0
