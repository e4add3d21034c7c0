"""Retention: probe results and events older than their windows are deleted, hour by hour.

Nothing else ages out: alerts, tasks and their log are the record, and the outbox keeps what
exactly-once delivery needs. Rows go in batches, each in its own short transaction, so the
writer (SQLite allows one) waits for one batch at most, never for a month's backlog.

Events keep, for each camera, its newest state change older than the window: health history
folds state changes up to a moment, and a camera that has not changed since must still have
its state then (`gapwatch.api.health_history`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, select

from gapwatch.storage import (
    CAMERA_STATE_EVENT,
    EventRow,
    ProbeResultRow,
    SessionFactory,
    transaction,
)

__all__ = ["Pruned", "Retention", "prune"]

BATCH = 5_000
"""Rows deleted per transaction."""


@dataclass(frozen=True)
class Retention:
    """How long each kind of row is kept."""

    probes: dt.timedelta
    events: dt.timedelta

    @classmethod
    def days(cls, probes: float, events: float) -> Retention:
        return cls(dt.timedelta(days=probes), dt.timedelta(days=events))


@dataclass(frozen=True)
class Pruned:
    """Rows deleted by one `prune`."""

    probes: int
    events: int


def prune(
    factory: SessionFactory,
    retention: Retention,
    now: dt.datetime,
    *,
    batch: int = BATCH,
    writing: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> Pruned:
    """Delete what is older than `retention` at `now`; `writing()` is held around each batch
    (the service's writer lock)."""
    probes = _delete(
        factory, ProbeResultRow.id, ProbeResultRow.at < now - retention.probes, batch, writing
    )
    cutoff = now - retention.events
    last_known = (
        select(func.max(EventRow.seq))
        .where(EventRow.type == CAMERA_STATE_EVENT, EventRow.at < cutoff)
        .group_by(EventRow.camera)
    )
    events = _delete(
        factory,
        EventRow.seq,
        and_(EventRow.at < cutoff, EventRow.seq.not_in(last_known)),
        batch,
        writing,
    )
    return Pruned(probes, events)


def _delete(
    factory: SessionFactory,
    key: Any,
    old: ColumnElement[bool],
    batch: int,
    writing: Callable[[], AbstractContextManager[Any]],
) -> int:
    table = key.class_
    done = 0
    while True:
        with writing(), transaction(factory) as session:
            keys = list(session.scalars(select(key).where(old).order_by(key).limit(batch)))
            if keys:
                session.execute(delete(table).where(key.in_(keys)))
        done += len(keys)
        if len(keys) < batch:
            return done
