"""The down rule in Python (`camera_is_down`) and in SQL (`camera_down_clause`) agree on every
camera state the store can hold, on SQLite and PostgreSQL: the API reads the down cameras of a
county with the SQL one, the alert engine decides with the Python one."""

from __future__ import annotations

import itertools

from sqlalchemy import select
from sqlalchemy.orm import Session

from gapwatch.health import camera_down_clause, camera_is_down
from gapwatch.storage import CameraStateRow
from gapwatch.storage.models import CAMERA_STATUSES


def test_the_sql_rule_selects_exactly_the_cameras_the_python_rule_calls_down(
    db_session: Session,
) -> None:
    states = list(itertools.product(sorted(CAMERA_STATUSES), (False, True)))
    for k, (status, flapping) in enumerate(states):
        db_session.add(CameraStateRow(camera_id=f"cam-{k}", status=status, flapping=flapping))
    db_session.commit()
    down = set(db_session.scalars(select(CameraStateRow.camera_id).where(camera_down_clause())))
    expected = {f"cam-{k}" for k, state in enumerate(states) if camera_is_down(*state)}
    assert down == expected
    assert len(expected) == len(states) - 1  # only ok and steady is up
