"""Camera health as it was at a past moment, read back from the stored `camera.state` events.

Every debounced change of a camera's state is kept as a `camera.state` event (status, flapping,
faults, when); the events table is append-only, so folding it up to a moment gives each camera's
state then. A camera with no change recorded by then had not been judged yet, and counts as
watching its ground, as it does in the live view. Only what a span needs is read, through the
events' (type, camera, at) index: each camera's last change before the span, where the status it
had then began, and the changes within the span.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, ScalarSelect, and_, or_, select
from sqlalchemy.orm import Session

from gapwatch.health import camera_is_down
from gapwatch.storage import CAMERA_STATE_EVENT, EventRow

__all__ = ["CameraThen", "HealthHistory", "load_health_history"]


@dataclass(frozen=True)
class CameraThen:
    """One camera's debounced state as recorded at `at`; its status has held since `since`."""

    camera: str
    status: str
    flapping: bool
    faults: tuple[str, ...]
    since: dt.datetime
    at: dt.datetime

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
            if change.at > at:
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
            if change.at <= start:
                continue
            if change.at >= end:
                break
            _fold(states, change)
            healthy = _healthy(self.cameras, states)
            begin, _, before = spans[-1]
            if healthy == before:
                continue
            if begin == change.at:  # two changes at one moment: the last one holds
                spans[-1] = (begin, end, healthy)
            else:
                spans[-1] = (begin, change.at, before)
                spans.append((change.at, end, healthy))
        return spans


def _fold(states: dict[str, CameraThen], change: CameraThen) -> None:
    previous = states.get(change.camera)
    # `since` is when the status last changed, as the live state row keeps it.
    if previous is not None and previous.status == change.status:
        change = dataclasses.replace(change, since=previous.since)
    states[change.camera] = change


def _healthy(cameras: Collection[str], states: dict[str, CameraThen]) -> frozenset[str]:
    return frozenset(c for c in cameras if not (c in states and states[c].down))


def load_health_history(
    session: Session, *, cameras: Collection[str], since: dt.datetime, until: dt.datetime
) -> HealthHistory:
    """What is needed of the history of `cameras` to tell their health from `since` to
    `until`: each one's last change at or before `since` (with the start of the status it
    had then), then every change up to `until`."""
    wanted = sorted(set(cameras))
    last = _rows(session, [_seek(c, EventRow.at <= since, newest=True) for c in wanted])
    # A flapping-flag or faults change keeps the status: the status began just after the
    # camera's last change to another one (or with its first change of all).
    other = _rows(
        session,
        [
            _seek(r.camera, _before(r), _status() != _then(r, since=r.at).status, newest=True)
            for r in last.values()
        ],
    )
    first = _rows(
        session,
        [
            _seek(r.camera, *([_after(other[r.camera])] if r.camera in other else []))
            for r in last.values()
        ],
    )
    before = [_then(r, since=first[c].at if c in first else r.at) for c, r in last.items()]
    during = session.execute(
        select(EventRow.seq, EventRow.at, EventRow.camera, EventRow.data)
        .where(
            EventRow.type == CAMERA_STATE_EVENT,
            EventRow.camera.in_(wanted),
            EventRow.at > since,
            EventRow.at <= until,
        )
        .order_by(EventRow.at, EventRow.seq)
    )
    changes = sorted(before, key=lambda c: c.at)
    changes += [_then(r, since=r.at) for r in during]
    return HealthHistory(cameras=tuple(wanted), changes=tuple(changes))


def _status() -> ColumnElement[str]:
    status: ColumnElement[str] = EventRow.data["status"].as_string()
    return status


def _before(row: Row[Any]) -> ColumnElement[bool]:
    """Stored before `row` (time order; one moment's changes in the order they were kept)."""
    # The plain bound lets the index seek start at `row` instead of at the camera's newest.
    return and_(
        EventRow.at <= row.at,
        or_(EventRow.at < row.at, and_(EventRow.at == row.at, EventRow.seq < row.seq)),
    )


def _after(row: Row[Any]) -> ColumnElement[bool]:
    return and_(
        EventRow.at >= row.at,
        or_(EventRow.at > row.at, and_(EventRow.at == row.at, EventRow.seq > row.seq)),
    )


def _seek(camera: str, *where: ColumnElement[bool], newest: bool = False) -> ScalarSelect[int]:
    """The seq of `camera`'s oldest (or newest) state change matching `where`: an index seek."""
    at, seq = (EventRow.at.desc(), EventRow.seq.desc()) if newest else (EventRow.at, EventRow.seq)
    return (
        select(EventRow.seq)
        .where(EventRow.type == CAMERA_STATE_EVENT, EventRow.camera == camera, *where)
        .order_by(at, seq)
        .limit(1)
        .scalar_subquery()
    )


_SEEKS_PER_QUERY = 200  # keeps a big site's statement well under the databases' bind limits


def _rows(session: Session, seeks: list[ScalarSelect[int]]) -> dict[str, Row[Any]]:
    """The state changes the seeks find, by camera: one statement per batch of seeks."""
    found: dict[str, Row[Any]] = {}
    for i in range(0, len(seeks), _SEEKS_PER_QUERY):
        rows = session.execute(
            select(EventRow.seq, EventRow.at, EventRow.camera, EventRow.data).where(
                EventRow.seq.in_(seeks[i : i + _SEEKS_PER_QUERY])
            )
        )
        found.update((row.camera, row) for row in rows)
    return found


def _then(row: Row[Any], *, since: dt.datetime) -> CameraThen:
    data = row.data or {}
    return CameraThen(
        camera=str(row.camera),
        status=str(data.get("status", "ok")),
        flapping=bool(data.get("flapping", False)),
        faults=tuple(str(f) for f in data.get("faults") or ()),
        since=since,
        at=row.at,
    )
