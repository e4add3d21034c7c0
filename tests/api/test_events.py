"""The live event stream: new events fan out to every client, late commits are not lost,
idle streams carry keep-alive comments."""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gapwatch.api import create_app
from gapwatch.api.feed import EventFeed
from gapwatch.runtime.pipeline import Service
from gapwatch.storage import EventRow, transaction
from tests.api.conftest import ADMIN_TOKEN, make_settings
from tests.api.serving import running

HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _publish(service: Service, kind: str, seq: int | None = None) -> None:
    with transaction(service.sessions) as session:
        row = EventRow(at=dt.datetime.now(dt.UTC), type=kind, data={"n": kind})
        if seq is not None:
            row.seq = seq
        session.add(row)


def _listen(
    url: str, headers: dict[str, str], out: queue.Queue[str], stop: threading.Event
) -> None:
    try:
        with httpx.stream("GET", url, headers=headers, timeout=30) as response:
            out.put(f"status {response.status_code}")
            for line in response.iter_lines():
                out.put(line)
                if stop.is_set():
                    return
    except httpx.HTTPError as exc:
        out.put(f"error {exc}")


def _next_event(lines: queue.Queue[str]) -> tuple[int, str]:
    seq, kind = None, None
    while True:
        line = lines.get(timeout=15)
        if line.startswith("id: "):
            seq = int(line[4:])
        elif line.startswith("event: "):
            kind = line[7:]
        elif line == "" and seq is not None and kind is not None:
            return seq, kind


@dataclass
class Served:
    url: str
    service: Service
    feed: EventFeed


@pytest.fixture
def served(tmp_path: Path, db_url: str) -> Iterator[Served]:
    app = create_app(make_settings(tmp_path, db_url, sse_heartbeat_s=0.3))
    with running(app) as base:
        yield Served(f"{base}/api/v1/events", app.state.service, app.state.event_feed)


def test_every_client_gets_new_events_and_not_older_ones(served: Served) -> None:
    url, service = served.url, served.service
    _publish(service, "before.connect")
    while served.feed.max_seq == 0:  # the feed has taken it in: from now on it is the past
        time.sleep(0.02)
    stop = threading.Event()
    streams: list[queue.Queue[str]] = [queue.Queue() for _ in range(3)]
    for lines in streams:
        threading.Thread(target=_listen, args=(url, HEADERS, lines, stop), daemon=True).start()
        assert lines.get(timeout=15) == "status 200"
    try:
        # Let every client settle on the feed before anything new is written.
        for lines in streams:
            assert lines.get(timeout=15).startswith("retry:")
        _publish(service, "first.new")
        _publish(service, "second.new")
        for lines in streams:
            kinds = [_next_event(lines)[1], _next_event(lines)[1]]
            assert kinds == ["first.new", "second.new"]
    finally:
        stop.set()


def test_idle_streams_send_keep_alive_comments(served: Served) -> None:
    url = served.url
    stop = threading.Event()
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_listen, args=(url, HEADERS, lines, stop), daemon=True).start()
    try:
        seen = [lines.get(timeout=15) for _ in range(4)]
        assert ": keep-alive" in seen
    finally:
        stop.set()


@pytest.mark.postgres
def test_an_event_committed_late_with_a_lower_id_still_arrives(
    served: Served,
) -> None:
    url, service = served.url, served.service
    if service.engine.dialect.name != "postgresql":
        pytest.skip("SQLite commits one writer at a time, in sequence order")
    stop = threading.Event()
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_listen, args=(url, HEADERS, lines, stop), daemon=True).start()
    try:
        assert lines.get(timeout=15) == "status 200"
        # Two writers: the one holding seq 1000 commits after the one holding seq 1001.
        _publish(service, "committed.first", seq=1001)
        assert _next_event(lines) == (1001, "committed.first")
        _publish(service, "committed.late", seq=1000)
        assert _next_event(lines) == (1000, "committed.late")
    finally:
        stop.set()
