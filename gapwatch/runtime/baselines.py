"""Each camera's baseline in the running service: loaded from the store (or seeded from the
camera's reference picture), taught by healthy probes, and saved back now and then.

The store is the truth across processes; each process holds a cache. Every stored row's
`updated_at` is its version: the book remembers the version of each row it loaded or wrote,
`sync()` takes in rows another process wrote since (an operator's reset on an API replica
reaches the prober within one sync), and `save()` never overwrites a row written elsewhere.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from gapwatch.storage import BaselineRow, SessionFactory, transaction, utcnow
from gapwatch.vision.types import Frame, Verdict

if TYPE_CHECKING:
    from gapwatch.vision.baseline import Baseline, Mode

__all__ = ["BaselineBook"]

log = logging.getLogger(__name__)

_MODES: tuple[Mode, ...] = ("day", "night")
SYNC_SLACK = dt.timedelta(minutes=5)
"""How far behind the newest version seen `sync()` looks again, so a writer whose clock runs a
little behind is not missed."""


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
        self._versions: dict[tuple[str, str], dt.datetime] = {}
        self._watermark: dt.datetime | None = None

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
        one mode or both, in memory and in the store; it learns again from the next probes.

        The store keeps the empty baseline as a new version, so the process that probes the
        camera takes the reset in at its next `sync()`."""
        from gapwatch.vision.baseline import ModeBaseline

        baseline = self.for_camera(camera_id)
        modes: tuple[Mode, ...] = _MODES if mode is None else (mode,)
        at = utcnow()
        with self._lock:
            for name in modes:
                baseline.reset(name)
            self._dirty.discard(camera_id)
            empty = ModeBaseline().to_dict()
            with transaction(self._sessions) as session:
                for name in modes:
                    row = session.get(BaselineRow, (camera_id, name))
                    if row is None:
                        row = BaselineRow(camera_id=camera_id, mode=name)
                        session.add(row)
                    row.data = {"format": baseline.to_dict()["format"], "mode": empty}
                    row.updated_at = at
            for name in modes:
                self._versions[(camera_id, name)] = at

    def sync(self, _at: dt.datetime | None = None) -> int:
        """Take in baselines other processes wrote since the last look (a reset, a re-learned
        one); returns how many modes changed here."""
        since = self._watermark - SYNC_SLACK if self._watermark is not None else None
        with transaction(self._sessions, write=False) as session:
            query = select(BaselineRow.camera_id, BaselineRow.mode, BaselineRow.updated_at)
            if since is not None:
                query = query.where(BaselineRow.updated_at > since)
            versions = list(session.execute(query))
            with self._lock:
                stale = [
                    (camera_id, mode, at)
                    for camera_id, mode, at in versions
                    if camera_id in self._baselines and self._versions.get((camera_id, mode)) != at
                ]
            rows = {
                (camera_id, mode): session.get(BaselineRow, (camera_id, mode))
                for camera_id, mode, _ in stale
            }
        changed = 0
        with self._lock:
            for (camera_id, mode, at), row in zip(stale, rows.values(), strict=True):
                if row is not None and self._adopt_row(camera_id, mode, row.data):
                    changed += 1
                self._versions[(camera_id, mode)] = at
            newest = max((at for _, _, at in versions), default=None)
            if newest is not None and (self._watermark is None or newest > self._watermark):
                self._watermark = newest
        return changed

    def _adopt_row(self, camera_id: str, mode: str, data: dict[str, Any]) -> bool:
        """Replace one mode of the cached baseline, in place (the scheduler hands this same
        object to the camera's next probe); the caller holds the lock."""
        from gapwatch.vision.baseline import BaselineError, ModeBaseline

        try:
            learned = ModeBaseline.from_dict(data["mode"])
        except (BaselineError, KeyError, TypeError, ValueError) as exc:
            log.warning("camera %s: stored %s baseline unusable (%s)", camera_id, mode, exc)
            return False
        setattr(self._baselines[camera_id], mode, learned)
        # What this process learned since is dropped: the other writer's version wins, as a
        # deliberate reset must.
        self._dirty.discard(camera_id)
        return True

    def save(self, at: dt.datetime) -> int:
        """Write the baselines that learned since the last save; returns how many.

        A row another process wrote since this one last saw it is left alone and taken in
        instead, so a reset made elsewhere is never overwritten by what was learned before it.
        """
        with self._lock:
            dirty = sorted(self._dirty)
            self._dirty.clear()
            snapshots = {c: self._baselines[c].to_dict() for c in dirty}
            seen = {key: v for key, v in self._versions.items() if key[0] in snapshots}
        if not snapshots:
            return 0
        written: list[tuple[str, str]] = []
        theirs: list[tuple[str, str, dt.datetime, dict[str, Any]]] = []
        try:
            with transaction(self._sessions) as session:
                for camera_id, data in snapshots.items():
                    for mode in _MODES:
                        row = session.get(BaselineRow, (camera_id, mode))
                        if row is None:
                            row = BaselineRow(camera_id=camera_id, mode=mode)
                            session.add(row)
                        elif row.updated_at != seen.get((camera_id, mode)):
                            theirs.append((camera_id, mode, row.updated_at, dict(row.data)))
                            continue
                        row.data = {"format": data["format"], "mode": data[mode]}
                        row.updated_at = at
                        written.append((camera_id, mode))
        except Exception:
            with self._lock:
                self._dirty.update(snapshots)  # try again next time
            raise
        with self._lock:
            for key in written:
                self._versions[key] = at
            for camera_id, their_mode, version, stored in theirs:
                self._adopt_row(camera_id, their_mode, stored)
                self._versions[(camera_id, their_mode)] = version
        return len(snapshots)

    def _load(self, camera_id: str) -> Baseline:
        from gapwatch.vision.baseline import Baseline, BaselineError, ModeBaseline

        with transaction(self._sessions, write=False) as session:
            stored = list(
                session.scalars(select(BaselineRow).where(BaselineRow.camera_id == camera_id))
            )
            rows = {row.mode: row.data for row in stored}
        with self._lock:
            for row in stored:
                self._versions[(camera_id, row.mode)] = row.updated_at
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
