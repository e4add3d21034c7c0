"""One reader of the event store for every live client: events fan out from memory.

Each Server-Sent Events client used to look at the store twice a second; with fifty dashboards
open that is a hundred queries a second doing the same thing. The feed reads new events once per
poll and keeps the recent ones in memory; a client reads from there, and only a client that
reconnects from further back than the memory reaches replays from the store.

Sequence numbers are handed out when a row is inserted, not when its transaction commits, so on
PostgreSQL an event can become visible after one with a higher number (two writers at once). The
feed therefore looks back a little on every poll and passes on late arrivals it has not yet
seen; clients follow the feed's arrival order, so a late event is delivered late, never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from dataclasses import dataclass

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from gapwatch.runtime.pipeline import Service
from gapwatch.storage import EventRow, transaction

__all__ = ["EventFeed", "StoredEvent", "events_after", "latest_seq"]

log = logging.getLogger(__name__)

BATCH = 500
KEEP = 5000
LOOKBACK = 200  # sequence numbers re-read on each poll for late commits (PostgreSQL)


@dataclass(frozen=True)
class StoredEvent:
    """One event as it goes on the wire: its sequence number, type and JSON data."""

    seq: int
    type: str
    data: str


def events_after(service: Service, seq: int, limit: int = BATCH) -> list[StoredEvent]:
    """Events with a sequence number above `seq`, oldest first, read from the store."""
    with transaction(service.sessions, write=False) as session:
        rows = session.execute(
            select(EventRow.seq, EventRow.type, EventRow.data, EventRow.at)
            .where(EventRow.seq > seq)
            .order_by(EventRow.seq)
            .limit(limit)
        ).all()
    return [
        StoredEvent(
            seq,
            kind,
            json.dumps({**data, "at": at.isoformat()}, ensure_ascii=False, separators=(",", ":")),
        )
        for seq, kind, data, at in rows
    ]


def latest_seq(service: Service) -> int:
    """The highest sequence number in the store (0 when empty)."""
    with transaction(service.sessions, write=False) as session:
        return int(session.scalar(select(func.max(EventRow.seq))) or 0)


class EventFeed:
    """Polls the store for new events and keeps the recent ones for the live clients."""

    def __init__(self, service: Service) -> None:
        self._service = service
        self._lookback = LOOKBACK if service.engine.dialect.name != "sqlite" else 0
        # (arrival number, event); arrival order is what clients follow.
        self._entries: deque[tuple[int, StoredEvent]] = deque(maxlen=KEEP)
        self._arrived = 0
        self._seen: deque[int] = deque(maxlen=KEEP)
        self._seen_set: set[int] = set()
        self.max_seq = 0
        # A fresh Event per change instead of an asyncio.Condition: a client that leaves while
        # waiting cancels its wait, and on Python 3.11 a Condition cancelled while re-acquiring
        # its lock is left broken ("Lock is not acquired"), after which shutdown waited on the
        # lock forever (300 event-stream clients that connected and left made SIGTERM hang).
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def position(self) -> int:
        """The arrival number of the newest event in memory."""
        return self._arrived

    async def start(self) -> None:
        """Begin at the newest stored event and poll on a task of the running loop."""
        self.max_seq = await run_in_threadpool(latest_seq, self._service)
        if self._lookback:
            # What is already stored is history, not news: remember it so the first look-back
            # does not announce it again.
            since = max(0, self.max_seq - self._lookback)
            for event in await run_in_threadpool(events_after, self._service, since):
                self._remember(event.seq)
        self._task = asyncio.create_task(self._poll(), name="event-feed")

    async def stop(self) -> None:
        """Stop polling and wake every waiting client so it can see the service stopping."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._notify()

    def after(self, position: int) -> list[tuple[int, StoredEvent]] | None:
        """Events that arrived after `position`; None when memory no longer reaches back."""
        if not self._entries:
            return [] if position >= self._arrived else None
        first = self._entries[0][0]
        if position < first - 1:
            return None
        return [entry for entry in self._entries if entry[0] > position]

    async def wait(self, position: int, timeout_s: float) -> bool:
        """Wait until something arrives after `position`, the service stops, or time runs out."""

        changed = self._changed
        if self._arrived > position or self._service.stopping.is_set():
            return self._arrived > position
        try:
            await asyncio.wait_for(changed.wait(), timeout_s)
        except TimeoutError:
            return False
        return self._arrived > position

    def _notify(self) -> None:
        """Wake every waiting client (they look again at what arrived and at stopping)."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _remember(self, seq: int) -> None:
        if len(self._seen) == self._seen.maxlen:
            self._seen_set.discard(self._seen[0])
        self._seen.append(seq)
        self._seen_set.add(seq)
        self.max_seq = max(self.max_seq, seq)

    async def _poll(self) -> None:
        poll_s = self._service.settings.sse_poll_s
        while not self._service.stopping.is_set():
            try:
                await self._read_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                if self._service.stopping.is_set():
                    break
                log.exception("reading new events failed; trying again")
            await asyncio.sleep(poll_s)
        self._notify()

    async def _read_once(self) -> None:
        while True:
            since = max(0, self.max_seq - self._lookback)
            batch = await run_in_threadpool(events_after, self._service, since)
            fresh = [event for event in batch if event.seq not in self._seen_set]
            for event in fresh:
                self._arrived += 1
                self._entries.append((self._arrived, event))
                self._remember(event.seq)
            if fresh:
                self._notify()
            if len(batch) < BATCH:
                return
