"""The batching writer: probe verdicts from many threads, written by one thread in batches.

One transaction per verdict caps a SQLite store at a few hundred verdicts a second, since each
commit waits for the write lock and the log. Here every verdict goes into one queue; a single
thread takes everything waiting (up to `max_batch`, lingering `linger_s` for more) and writes it
in one transaction. One thread and one queue keep each camera's verdicts in the order they came.

A batch that fails is rolled back, `recover()` rebuilds the caller's memory from the store, and
the batch is written again one verdict at a time, so one bad verdict never loses the others.
`stop()` writes everything already queued before it returns.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["BatchWriter", "WriterClosed", "WriterStats"]

log = logging.getLogger(__name__)

Item = TypeVar("Item")

DEFAULT_MAX_BATCH = 200
DEFAULT_LINGER_S = 0.002


class WriterClosed(RuntimeError):
    """The writer was stopped; nothing more is taken."""


@dataclass
class WriterStats:
    """What the writer did so far (for metrics, tests and the bench)."""

    batches: int = 0
    written: int = 0
    failed_batches: int = 0
    failed_items: int = 0
    largest_batch: int = 0


@dataclass
class _Entry(Generic[Item]):
    item: Item
    done: Future[None] = field(default_factory=Future)


_STOP = object()


class BatchWriter(Generic[Item]):
    """Takes items from any thread; one thread hands them to `write` in batches.

    `write(items)` must do the whole batch in one transaction and raise if it did not commit;
    `recover()` is called after a failed batch, before the items are retried one by one.
    """

    def __init__(
        self,
        write: Callable[[Sequence[Item]], None],
        *,
        recover: Callable[[], None] = lambda: None,
        max_batch: int = DEFAULT_MAX_BATCH,
        linger_s: float = DEFAULT_LINGER_S,
        name: str = "gapwatch-writer",
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._write = write
        self._recover = recover
        self.max_batch = max_batch
        self.linger_s = linger_s
        self._name = name
        self._queue: queue.SimpleQueue[_Entry[Item] | object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.stats = WriterStats()

    def submit(self, item: Item) -> Future[None]:
        """Queue `item`; the future is done once its batch committed (or it failed for good)."""
        entry: _Entry[Item] = _Entry(item)
        with self._lock:
            if self._closed:
                raise WriterClosed("the writer is stopped")
            if self._thread is None:
                # Started on first use, so a service built but never started still writes.
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._queue.put(entry)
        return entry.done

    def write_now(self, item: Item) -> None:
        """Queue `item` and wait until it is written; raises what writing it raised."""
        self.submit(item).result()

    @property
    def closed(self) -> bool:
        """Whether `stop()` was called."""
        return self._closed

    def stop(self, timeout_s: float = 30.0) -> None:
        """Take nothing more, write everything already queued, end the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
            self._queue.put(_STOP)
        if thread is not None:
            thread.join(timeout_s)
            if thread.is_alive():
                log.error("the writer did not finish its queue within %.0f s", timeout_s)

    # ------------------------------------------------------------------ the writer thread

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                return
            batch: list[_Entry[Item]] = [first]  # type: ignore[list-item]
            stopping = self._fill(batch)
            try:
                self._flush(batch)
            except Exception as exc:  # the thread must outlive any one batch
                log.exception("the writer failed on a batch of %d", len(batch))
                for entry in batch:
                    _settle(entry.done, exc)

    def _fill(self, batch: list[_Entry[Item]]) -> bool:
        """Add what is waiting (and what comes within the linger time); True if stop came."""
        deadline = time.monotonic() + self.linger_s
        while len(batch) < self.max_batch:
            try:
                entry = self._queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                try:
                    entry = self._queue.get(timeout=remaining)
                except queue.Empty:
                    return False
            if entry is _STOP:
                self._drain_rest(batch)
                return True
            batch.append(entry)  # type: ignore[arg-type]
        return False

    def _drain_rest(self, batch: list[_Entry[Item]]) -> None:
        # Nothing is queued after the stop mark (submit refuses once closed), but a batch
        # may still be full: write what is in hand, then the rest, before the thread ends.
        rest: list[_Entry[Item]] = []
        while True:
            try:
                entry = self._queue.get_nowait()
            except queue.Empty:
                break
            if entry is not _STOP:
                rest.append(entry)  # type: ignore[arg-type]
        for start in range(0, len(rest), self.max_batch):
            self._flush(rest[start : start + self.max_batch])

    def _flush(self, batch: list[_Entry[Item]]) -> None:
        items = [e.item for e in batch]
        try:
            self._write(items)
        except Exception as exc:
            self.stats.failed_batches += 1
            if len(batch) == 1:
                log.exception("writing a probe verdict failed")
                self._safe_recover()
                self._fail(batch[0], exc)
                return
            log.warning("a batch of %d failed; writing them one by one", len(batch), exc_info=True)
            self._safe_recover()
            for entry in batch:
                self._one(entry)
            return
        self._done(batch)

    def _one(self, entry: _Entry[Item]) -> None:
        try:
            self._write([entry.item])
        except Exception as exc:
            log.exception("writing a probe verdict failed")
            self._safe_recover()
            self._fail(entry, exc)
            return
        self._done([entry])

    def _done(self, batch: list[_Entry[Item]]) -> None:
        self.stats.batches += 1
        self.stats.written += len(batch)
        self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
        for entry in batch:
            _settle(entry.done, None)

    def _fail(self, entry: _Entry[Item], error: Exception) -> None:
        self.stats.failed_items += 1
        _settle(entry.done, error)

    def _safe_recover(self) -> None:
        try:
            self._recover()
        except Exception:
            log.exception("recovering after a failed write failed")


def _settle(done: Future[None], error: Exception | None) -> None:
    """Finish a waiter's future, unless it was cancelled or already finished."""
    try:
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
    except InvalidStateError:
        pass
