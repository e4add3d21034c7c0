"""Probe results and camera state rows: the per-probe hot path, written with Core statements.

An ORM unit of work per probe would cost more than the decision itself, so the rows every probe
touches go through prepared Core INSERT and UPDATE statements in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Table, bindparam, or_

from gapwatch.health.tracker import FLAP_WINDOW, HealthTracker
from gapwatch.storage import CameraStateRow, ProbeResultRow

__all__ = ["camera_down_clause", "insert_probes", "save_counters"]


def camera_down_clause() -> ColumnElement[bool]:
    """`camera_is_down` over the camera state rows, as SQL (the same rule: a reader that wants
    only the down cameras among tens of thousands asks the store for them;
    tests/health/test_down_rule.py checks the two agree on every state)."""
    return or_(CameraStateRow.status != "ok", CameraStateRow.flapping)


_PROBES = cast(Table, ProbeResultRow.__table__)
_STATES = cast(Table, CameraStateRow.__table__)
_PROBE_INSERT = _PROBES.insert()
_COUNTER_UPDATE = (
    _STATES.update()
    .where(_STATES.c.camera_id == bindparam("b_camera"))
    .values(
        last_probe_at=bindparam("b_last"),
        good_streak=bindparam("b_good"),
        bad_streak=bindparam("b_bad"),
        flap_history=bindparam("b_history"),
    )
)
_SEEN_UPDATE = (
    _STATES.update()
    .where(_STATES.c.camera_id == bindparam("b_camera"))
    .values(last_probe_at=bindparam("b_last"), good_streak=bindparam("b_good"), bad_streak=0)
)


def insert_probes(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Keep the probe results (camera_id, at, status, faults) for the health history."""
    if rows:
        connection.execute(_PROBE_INSERT, rows)


def save_counters(connection: Connection, tracker: HealthTracker, cameras: Iterable[str]) -> None:
    """Write the tracker's view of `cameras` to camera_states."""
    # A steady camera only moves its last-probe time; the debounce streak and flap history
    # are written while something is happening, so the common probe stays one cheap UPDATE.
    steady: list[dict[str, Any]] = []
    moving: list[dict[str, Any]] = []
    for cam in cameras:
        h = tracker.camera(cam)
        if h.streak_status == h.state and not h.flapping and h.streak > FLAP_WINDOW:
            steady.append({"b_camera": cam, "b_last": h.last_at, "b_good": h.streak})
            continue
        agree = h.streak_status == h.state
        moving.append(
            {
                "b_camera": cam,
                "b_last": h.last_at,
                "b_good": h.streak if agree else 0,
                "b_bad": 0 if agree else h.streak,
                "b_history": list(h.flap.history),
            }
        )
    if steady:
        connection.execute(_SEEN_UPDATE, steady)
    if moving:
        connection.execute(_COUNTER_UPDATE, moving)
