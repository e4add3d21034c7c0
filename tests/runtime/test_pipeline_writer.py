"""The batching writer, alone and inside the service: batches, order, failures, shutdown."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import select

from gapwatch.alerts.engine import UnknownCameraProbe
from gapwatch.runtime.ingest import BatchWriter, WriterClosed
from gapwatch.runtime.pipeline import Service, build_service
from gapwatch.settings import Settings
from gapwatch.storage import AlertRow, ProbeResultRow, transaction
from gapwatch.vision.types import ProbeResult
from tests.api.site import write_site

T0 = dt.datetime(2026, 7, 29, 12, 0, tzinfo=dt.UTC)


class Store:
    """A stand-in transaction target: keeps what committed, refuses items marked bad."""

    def __init__(self) -> None:
        self.committed: list[tuple[str, int]] = []
        self.batches: list[int] = []
        self.recoveries = 0
        self.gate = threading.Event()
        self.gate.set()

    def write(self, items: Sequence[tuple[str, int]]) -> None:
        self.gate.wait(10)
        if any(key == "bad" for key, _ in items):
            raise ValueError("bad item")
        self.committed.extend(items)
        self.batches.append(len(items))

    def recover(self) -> None:
        self.recoveries += 1


def test_writer_batches_what_waits_and_keeps_each_key_in_order() -> None:
    store = Store()
    writer = BatchWriter(store.write, recover=store.recover, max_batch=50, linger_s=0.0)
    store.gate.clear()  # the first batch waits, so the rest pile up behind it
    futures = []

    def feed(key: str) -> None:
        for n in range(100):
            futures.append(writer.submit((key, n)))

    threads = [threading.Thread(target=feed, args=(f"cam-{k}",)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.gate.set()
    writer.stop()
    assert all(f.done() and f.exception() is None for f in futures)
    assert len(store.committed) == 400
    for k in range(4):
        assert [n for key, n in store.committed if key == f"cam-{k}"] == list(range(100))
    assert max(store.batches) == 50  # capped, and far fewer transactions than items
    assert len(store.batches) < 400 / 10


def test_one_bad_item_fails_alone_and_the_rest_of_its_batch_is_kept() -> None:
    store = Store()
    writer = BatchWriter(store.write, recover=store.recover, max_batch=200, linger_s=0.0)
    store.gate.clear()
    first = writer.submit(("a", 0))
    rest = [writer.submit(("a", n)) for n in range(1, 5)]
    bad = writer.submit(("bad", 0))
    after = [writer.submit(("b", n)) for n in range(5)]
    store.gate.set()
    writer.stop()
    assert first.exception() is None
    assert isinstance(bad.exception(), ValueError)
    assert all(f.exception() is None for f in rest + after)
    assert [n for key, n in store.committed if key == "a"] == list(range(5))
    assert [n for key, n in store.committed if key == "b"] == list(range(5))
    assert store.recoveries == 2  # after the failed batch, and after the bad item alone
    assert writer.stats.failed_items == 1


def test_stop_writes_everything_queued_then_refuses_more() -> None:
    store = Store()
    writer = BatchWriter(store.write, max_batch=7, linger_s=0.0)
    store.gate.clear()
    futures = [writer.submit(("a", n)) for n in range(60)]
    stopper = threading.Thread(target=writer.stop)
    stopper.start()
    store.gate.set()
    stopper.join(10)
    assert [n for _, n in store.committed] == list(range(60))
    assert all(f.done() for f in futures)
    with pytest.raises(WriterClosed):
        writer.submit(("a", 60))


def _service(tmp_path: Path) -> Service:
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'writer.db'}",
        site=write_site(tmp_path),
        scheduler=False,
    )
    return build_service(settings)


def _verdict(status: str, n: int) -> ProbeResult:
    faults = [] if status == "ok" else ["no_signal"]
    return ProbeResult(
        status=status,  # type: ignore[arg-type]
        faults=faults,
        metrics={"luma_mean": float(n)},
        elapsed_s=0.5 + n,
        reason=None if status == "ok" else "rtsp://admin:pw@10.1.2.3/x refused",
    )


def test_service_writes_verdicts_in_batches_keeping_each_ones_numbers(tmp_path: Path) -> None:
    service = _service(tmp_path)
    try:
        cams = ["cam-1", "cam-2", "cam-3"]
        futures = []

        def submit(rounds: range) -> None:
            for n in rounds:
                for cam in cams:
                    status = "offline" if cam == "cam-1" and n >= 10 else "ok"
                    at = T0 + dt.timedelta(seconds=10 * n)
                    futures.append(service.submit_probe(cam, at, _verdict(status, n)))

        # Hold the writer out of the store while verdicts arrive, as a slow commit would.
        with service._handling:
            submit(range(20))
        for f in futures:
            assert f is not None
            f.result(timeout=30)
        assert service.writer.stats.largest_batch > 1
        assert service.writer.stats.batches < 60
        # A verdict the engine refuses, in the middle of a batch, fails alone.
        with service._handling:
            submit(range(20, 25))
            unknown = service.submit_probe("cam-404", T0, _verdict("ok", 0))
            submit(range(25, 30))
        for f in futures:
            assert f is not None
            f.result(timeout=30)
        assert unknown is not None
        assert isinstance(unknown.exception(timeout=30), UnknownCameraProbe)
        assert service.writer.stats.failed_items == 1
        with transaction(service.sessions, write=False) as session:
            rows = list(session.scalars(select(ProbeResultRow).order_by(ProbeResultRow.id)))
            alerts = list(session.scalars(select(AlertRow).where(AlertRow.kind != "coverage_gap")))
        assert len(rows) == 90  # the unknown camera's verdict lost nothing else
        for cam in cams:
            mine = [r for r in rows if r.camera_id == cam]
            assert [r.at for r in mine] == sorted(r.at for r in mine)
            # Each row carries its own verdict's numbers, not a neighbour's.
            assert all(r.metrics == {"luma_mean": float(r.elapsed_s - 0.5)} for r in mine), mine
        bad = [r for r in rows if r.camera_id == "cam-1" and r.status == "offline"]
        assert bad and all(r.reason and "pw" not in r.reason for r in bad)
        assert [a.cameras for a in alerts] == [["cam-1"]]
    finally:
        service.stop()


def test_stopping_the_service_writes_the_verdicts_it_queued(tmp_path: Path) -> None:
    service = _service(tmp_path)
    with service._handling:
        futures = [
            service.submit_probe("cam-2", T0 + dt.timedelta(seconds=n), _verdict("ok", n))
            for n in range(40)
        ]
        stopper = threading.Thread(target=service.stop)
        stopper.start()
        # stop() is waiting on the writer, which waits on us: nothing is dropped meanwhile.
        assert service.submit_probe("cam-2", T0 + dt.timedelta(hours=1), _verdict("ok", 1)) is None
    stopper.join(30)
    assert all(f is not None and f.done() and f.exception() is None for f in futures)
    check = build_service(service.settings)
    try:
        with transaction(check.sessions, write=False) as session:
            count = len(list(session.scalars(select(ProbeResultRow.id))))
        assert count == 40
    finally:
        check.stop()


def test_a_waiter_that_gave_up_does_not_stop_the_writer() -> None:
    store = Store()
    writer = BatchWriter(store.write, max_batch=1, linger_s=0.0)
    store.gate.clear()
    first = writer.submit(("a", 0))
    abandoned = writer.submit(("a", 1))
    assert abandoned.cancel()
    last = writer.submit(("a", 2))
    store.gate.set()
    last.result(timeout=10)
    writer.stop()
    assert first.exception() is None
    assert [n for _, n in store.committed] == [0, 1, 2]  # written all the same


def test_a_late_verdict_is_left_out_without_failing_its_batch(tmp_path: Path) -> None:
    # Two threads handing in results of one camera at once can reach the writer out of order;
    # before, the late one failed its whole batch (every verdict written again one by one, and
    # two reloads of the engine).
    service = _service(tmp_path)
    try:
        with service._handling:  # one batch
            futures = [
                service.submit_probe("cam-1", T0 + dt.timedelta(seconds=20), _verdict("ok", 1)),
                service.submit_probe("cam-1", T0 + dt.timedelta(seconds=10), _verdict("ok", 0)),
                service.submit_probe("cam-2", T0 + dt.timedelta(seconds=10), _verdict("ok", 0)),
            ]
        for f in futures:
            assert f is not None
            f.result(timeout=30)  # none failed
        # Late against what an earlier batch took in, too.
        service.handle_probe("cam-2", T0 + dt.timedelta(seconds=5), _verdict("ok", 2))
        assert service.writer.stats.failed_batches == 0
        assert service.late_verdicts == 2
        with transaction(service.sessions, write=False) as session:
            rows = [(r.camera_id, r.at) for r in session.scalars(select(ProbeResultRow))]
        assert sorted(rows) == [
            ("cam-1", T0 + dt.timedelta(seconds=20)),
            ("cam-2", T0 + dt.timedelta(seconds=10)),
        ]
    finally:
        service.stop()
