"""Live events over Server-Sent Events; ids are the event store's `seq`, so nothing is missed."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from gapwatch.api.deps import Reader, ServiceDep
from gapwatch.api.errors import error_responses
from gapwatch.runtime.pipeline import Service
from gapwatch.storage import EventRow, transaction

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["events"])

BATCH = 200
RETRY_MS = 2000


def _after(service: Service, seq: int) -> list[tuple[int, str, str]]:
    with transaction(service.sessions, write=False) as session:
        rows = session.execute(
            select(EventRow.seq, EventRow.type, EventRow.data, EventRow.at)
            .where(EventRow.seq > seq)
            .order_by(EventRow.seq)
            .limit(BATCH)
        ).all()
    return [
        (s, t, json.dumps({**d, "at": a.isoformat()}, ensure_ascii=False, separators=(",", ":")))
        for s, t, d, a in rows
    ]


def _latest(service: Service) -> int:
    with transaction(service.sessions, write=False) as session:
        return int(session.scalar(select(func.max(EventRow.seq))) or 0)


def _line_safe(text: str) -> str:
    # An event type is one line of the SSE frame; never let stored text break the framing.
    return text.replace("\r", " ").replace("\n", " ")


async def event_stream(service: Service, start: int) -> AsyncIterator[str]:
    """Events after `start` as SSE frames, a keep-alive comment when idle; ends on shutdown."""
    yield f"retry: {RETRY_MS}\n\n"
    last = start
    heartbeat = service.settings.sse_heartbeat_s
    poll = service.settings.sse_poll_s
    quiet_since = time.monotonic()
    while not service.stopping.is_set():
        try:
            batch = await run_in_threadpool(_after, service, last)
        except Exception:
            if service.stopping.is_set():
                return
            raise
        for seq, kind, data in batch:
            yield f"id: {seq}\nevent: {_line_safe(kind)}\ndata: {data}\n\n"
            last = seq
        if batch:
            quiet_since = time.monotonic()
            if len(batch) == BATCH:
                continue  # a replay in progress: go on without waiting
        elif time.monotonic() - quiet_since >= heartbeat:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(poll)


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
    service: ServiceDep,
    _who: Reader,
    last_event_id: Annotated[
        int | None,
        Header(alias="Last-Event-ID", ge=0, le=2**62, description="Resume after this event."),
    ] = None,
    last_event_id_query: Annotated[
        int | None,
        Query(
            alias="last_event_id", ge=0, le=2**62, description="Same, for clients without headers."
        ),
    ] = None,
) -> StreamingResponse:
    """Live events. Reconnecting with `Last-Event-ID` replays every event after it from the store;
    without one, the stream starts with the next new event."""
    start = last_event_id if last_event_id is not None else last_event_id_query
    if start is None:
        start = await run_in_threadpool(_latest, service)
    return StreamingResponse(
        event_stream(service, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
