"""Live events over Server-Sent Events; ids are the event store's `seq`, so nothing is missed."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from gapwatch.api.deps import Reader, ServiceDep
from gapwatch.api.errors import UnavailableError, error_responses
from gapwatch.api.feed import LOOKBACK, EventFeed, StoredEvent, events_after
from gapwatch.runtime.pipeline import Service

__all__ = ["event_stream", "router"]

router = APIRouter(prefix="/api/v1", tags=["events"])

RETRY_MS = 2000
WAKE_S = 1.0  # longest wait between looks at the stopping flag


def _frame(event: StoredEvent) -> str:
    # An event type is one line of the SSE frame; never let stored text break the framing.
    kind = event.type.replace("\r", " ").replace("\n", " ")
    return f"id: {event.seq}\nevent: {kind}\ndata: {event.data}\n\n"


async def _replay(
    service: Service, last: int, ceiling: int, sent: set[int]
) -> AsyncIterator[tuple[int, str]]:
    """Stored events after `last` up to `ceiling`, read in batches."""
    while last < ceiling and not service.stopping.is_set():
        batch = [
            e for e in await run_in_threadpool(events_after, service, last) if e.seq <= ceiling
        ]
        if not batch:
            return
        for event in batch:
            last = event.seq
            if event.seq > ceiling - LOOKBACK:
                sent.add(event.seq)
            yield event.seq, _frame(event)


async def event_stream(service: Service, feed: EventFeed, start: int) -> AsyncIterator[str]:
    """Events after `start` as SSE frames, a keep-alive comment when idle; ends on shutdown.

    First the store is replayed up to what the feed has seen, then the feed's arrivals follow;
    a client that falls further behind than the feed remembers replays from the store again.
    """
    yield f"retry: {RETRY_MS}\n\n"
    heartbeat = service.settings.sse_heartbeat_s
    last = start
    sent: set[int] = set()
    position = feed.position
    async for seq, frame in _replay(service, last, feed.max_seq, sent):
        last = seq
        yield frame
    quiet_since = time.monotonic()
    while not service.stopping.is_set():
        entries = feed.after(position)
        if entries is None:
            position = feed.position
            async for seq, frame in _replay(service, last, feed.max_seq, sent):
                last = max(last, seq)
                yield frame
            continue
        for arrival, event in entries:
            position = arrival
            if event.seq in sent:
                continue  # already replayed from the store
            last = max(last, event.seq)
            quiet_since = time.monotonic()
            yield _frame(event)
        if entries:
            continue
        idle = time.monotonic() - quiet_since
        woke = await feed.wait(position, min(WAKE_S, max(0.0, heartbeat - idle)))
        if not woke and time.monotonic() - quiet_since >= heartbeat:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()


def _feed(request: Request) -> EventFeed:
    feed: EventFeed | None = getattr(request.app.state, "event_feed", None)
    if feed is None:
        raise UnavailableError("the event feed is not running / 事件推送未运行")
    return feed


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "An endless text/event-stream; each event id is its sequence number.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **error_responses(401, 403, 422, 503),
    },
)
async def events(
    request: Request,
    service: ServiceDep,
    _who: Reader,
    last_event_id: Annotated[
        int | None,
        Header(alias="Last-Event-ID", ge=0, le=2**62, description="Resume after this event."),
    ] = None,
    last_event_id_query: Annotated[
        int | None,
        Query(
            alias="last_event_id",
            ge=0,
            le=2**62,
            description="Same, for clients that cannot set headers.",
        ),
    ] = None,
) -> StreamingResponse:
    """Live events. Reconnecting with `Last-Event-ID` replays every event after it from the store;
    without one, the stream starts with the next new event."""
    feed = _feed(request)
    start = last_event_id if last_event_id is not None else last_event_id_query
    if start is None:
        start = feed.max_seq  # from now on: what the feed has already seen is the past
    return StreamingResponse(
        event_stream(service, feed, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
