"""Camera health as it was at a past moment, read back from the stored `camera.state` events.

Every debounced change of a camera's state is kept as a `camera.state` event (status, flapping,
faults, when); the events table is append-only, so folding it up to a moment gives each camera's
state then. A camera with no change recorded by then had not been judged yet, and counts as
watching its ground, as it does in the live view. Only what a span needs is read: each camera's
last change before it (picked by the database) and the changes within it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gapwatch.health import camera_is_down
from gapwatch.storage import EventRow

__all__ = ["CameraThen", "HealthHistory", "load_health_history"]

STATE_EVENT = "camera.state"


@dataclass(frozen=True)
class CameraThen:
    """One camera's debounced state from `since` on."""

    camera: str
    status: str
    flapping: bool
    faults: tuple[str, ...]
    since: dt.datetime

    @property
    def down(self) -> bool:
        return camera_is_down(self.status, self.flapping)


@dataclass(frozen=True)
class HealthHistory:
    """The state changes of the site's cameras up to some moment, oldest first."""

    cameras: tuple[str, ...]
    changes: tuple[CameraThen, ...]

    def states_at(self, at: dt.datetime) -> dict[str, CameraThen]:
        """Each judged camera's state at `at` (changes at `at` itself included)."""
        states: dict[str, CameraThen] = {}
        for change in self.changes:
            if change.since > at:
                break
            _fold(states, change)
        return states

    def healthy_at(self, at: dt.datetime) -> frozenset[str]:
        """Cameras watching their ground at `at`."""
        return _healthy(self.cameras, self.states_at(at))

    def segments(
        self, start: dt.datetime, end: dt.datetime
    ) -> list[tuple[dt.datetime, dt.datetime, frozenset[str]]]:
        """[from, to) spans covering [start, end), each with the cameras healthy throughout."""
        states = self.states_at(start)
        spans = [(start, end, _healthy(self.cameras, states))]
        for change in self.changes:
            if change.since <= start:
                continue
            if change.since >= end:
                break
            _fold(states, change)
            healthy = _healthy(self.cameras, states)
            begin, _, before = spans[-1]
            if healthy == before:
                continue
            if begin == change.since:  # two changes at one moment: the last one holds
                spans[-1] = (begin, end, healthy)
            else:
                spans[-1] = (begin, change.since, before)
                spans.append((change.since, end, healthy))
        return spans


def _fold(states: dict[str, CameraThen], change: CameraThen) -> None:
    previous = states.get(change.camera)
    # `since` is when the status last changed, as the live state row keeps it.
    if previous is not None and previous.status == change.status:
        change = CameraThen(
            change.camera, change.status, change.flapping, change.faults, previous.since
        )
    states[change.camera] = change


def _healthy(cameras: Collection[str], states: dict[str, CameraThen]) -> frozenset[str]:
    return frozenset(c for c in cameras if not (c in states and states[c].down))


def load_health_history(
    session: Session, *, cameras: Collection[str], since: dt.datetime, until: dt.datetime
) -> HealthHistory:
    """What is needed of the history of `cameras` to tell their health from `since` to
    `until`: each one's last change at or before `since`, then every change up to `until`."""
    wanted = set(cameras)
    camera = EventRow.data["camera"].as_string()
    state = EventRow.type == STATE_EVENT
    # The last change before the span, per camera, found by the database (a camera's changes
    # are stored in time order: the engine refuses a probe older than the one before).
    last_before = select(func.max(EventRow.seq)).where(state, EventRow.at <= since).group_by(camera)
    before = session.execute(
        select(EventRow.at, EventRow.data).where(EventRow.seq.in_(last_before))
    )
    during = session.execute(
        select(EventRow.at, EventRow.data)
        .where(state, EventRow.at > since, EventRow.at <= until)
        .order_by(EventRow.at, EventRow.seq)
    )
    changes = sorted(_changes(before, wanted), key=lambda c: c.since)
    changes += _changes(during, wanted)
    return HealthHistory(cameras=tuple(sorted(wanted)), changes=tuple(changes))


def _changes(rows: Iterable[Any], wanted: set[str]) -> list[CameraThen]:
    out: list[CameraThen] = []
    for at, data in rows:
        camera = (data or {}).get("camera")
        if camera not in wanted:
            continue
        out.append(
            CameraThen(
                camera=str(camera),
                status=str(data.get("status", "ok")),
                flapping=bool(data.get("flapping", False)),
                faults=tuple(str(f) for f in data.get("faults") or ()),
                since=at,
            )
        )
    return out
