"""Each camera's baseline in the running service: loaded from the store (or seeded from the
camera's reference picture), taught by healthy probes, and saved back now and then."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from gapwatch.storage import BaselineRow, SessionFactory, transaction
from gapwatch.vision.types import Frame, Verdict

if TYPE_CHECKING:
    from gapwatch.vision.baseline import Baseline, Mode

__all__ = ["BaselineBook"]

log = logging.getLogger(__name__)


class BaselineBook:
    """The baselines of a site's cameras, shared by the probe threads.

    A camera is probed by one thread at a time (the scheduler skips a camera whose probe is still
    running), but saving runs on another thread, so learning and snapshotting share one lock.
    """

    def __init__(self, sessions: SessionFactory, references: Mapping[str, Path]) -> None:
        self._sessions = sessions
        self._references = dict(references)
        self._lock = threading.Lock()
        self._baselines: dict[str, Baseline] = {}
        self._owner: dict[int, str] = {}
        self._dirty: set[str] = set()

    def for_camera(self, camera_id: str) -> Baseline:
        """The camera's baseline (empty until it has learned, which judges like no baseline)."""
        with self._lock:
            known = self._baselines.get(camera_id)
        if known is not None:
            return known
        baseline = self._load(camera_id)
        with self._lock:
            known = self._baselines.setdefault(camera_id, baseline)
            self._owner[id(known)] = camera_id
        return known

    def judge(self, frames: Sequence[Frame], baseline: Baseline | None) -> Verdict:
        """Judge the frames against the baseline, then teach it when they were healthy."""
        from gapwatch.vision.judge import judge

        verdict = judge(frames, baseline)
        if baseline is not None:
            with self._lock:
                if baseline.update(verdict, frames):
                    owner = self._owner.get(id(baseline))
                    if owner is not None:
                        self._dirty.add(owner)
        return verdict

    def adopt(self, camera_id: str, learned: Baseline) -> None:
        """Take in what a camera's baseline learned elsewhere (on a remote probe worker)."""
        baseline = self.for_camera(camera_id)
        with self._lock:
            # In place: the scheduler hands this same object to the camera's next probe.
            baseline.day, baseline.night = learned.day, learned.night
            self._dirty.add(camera_id)

    def reset(self, camera_id: str, mode: Mode | None = None) -> None:
        """Forget what the camera's baseline learned (after a repair or a deliberate re-aim),
        one mode or both, in memory and in the store; it learns again from the next probes."""
        baseline = self.for_camera(camera_id)
        modes: tuple[Mode, ...] = ("day", "night") if mode is None else (mode,)
        with self._lock:
            for name in modes:
                baseline.reset(name)
            self._dirty.discard(camera_id)
            with transaction(self._sessions) as session:
                for name in modes:
                    row = session.get(BaselineRow, (camera_id, name))
                    if row is not None:
                        session.delete(row)

    def save(self, at: dt.datetime) -> int:
        """Write the baselines that learned since the last save; returns how many."""
        with self._lock:
            dirty = sorted(self._dirty)
            self._dirty.clear()
            snapshots = {c: self._baselines[c].to_dict() for c in dirty}
        if not snapshots:
            return 0
        try:
            with transaction(self._sessions) as session:
                for camera_id, data in snapshots.items():
                    for mode in ("day", "night"):
                        row = session.get(BaselineRow, (camera_id, mode))
                        if row is None:
                            row = BaselineRow(camera_id=camera_id, mode=mode)
                            session.add(row)
                        row.data = {"format": data["format"], "mode": data[mode]}
                        row.updated_at = at
        except Exception:
            with self._lock:
                self._dirty.update(snapshots)  # try again next time
            raise
        return len(snapshots)

    def _load(self, camera_id: str) -> Baseline:
        from gapwatch.vision.baseline import Baseline, BaselineError, ModeBaseline

        with transaction(self._sessions, write=False) as session:
            rows = {
                row.mode: row.data
                for row in session.scalars(
                    select(BaselineRow).where(BaselineRow.camera_id == camera_id)
                )
            }
        try:
            if rows:
                baseline = Baseline()
                for mode, data in rows.items():
                    setattr(baseline, mode, ModeBaseline.from_dict(data["mode"]))
                return baseline
            reference = self._references.get(camera_id)
            if reference is not None:
                return Baseline.from_image(reference)
        except (BaselineError, KeyError, TypeError, ValueError) as exc:
            # A damaged or missing baseline must not stop probing: learn afresh.
            log.warning("camera %s: baseline unusable (%s); learning a new one", camera_id, exc)
        return Baseline()
