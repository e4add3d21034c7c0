"""Only one probe scheduler per store: on PostgreSQL an advisory lock elects it, on SQLite a
lock on a file beside the database.

Several service processes may share one PostgreSQL database (API replicas, a standby). Each tries
to take the lock; the one that holds it schedules probes, the others serve the API and keep
trying, so a standby takes over within one retry interval when the scheduler dies (its
connection closes and PostgreSQL releases the lock). On SQLite a second `gapwatch serve` on the
same file (a restart while the old process is still stopping, a second unit by mistake) used to
probe alongside the first; now it waits the same way. The file lock is the kernel's (flock), so a
process killed with -9 frees it at once, like a closed PostgreSQL connection.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select

__all__ = ["LeaseWatcher", "SchedulerLease", "lease_key"]

log = logging.getLogger(__name__)


def lease_key(site_id: str) -> int:
    """A stable signed 64-bit advisory-lock key for a site's scheduler."""
    digest = hashlib.sha256(f"gapwatch-scheduler:{site_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class SchedulerLease:
    """The right to run the scheduler for one site, held for as long as this object holds it."""

    def __init__(self, engine: Engine, site_id: str) -> None:
        self._engine = engine
        self._key = lease_key(site_id)
        self._site_id = site_id
        self._connection: Connection | None = None
        self._file: int | None = None
        self._lock = threading.Lock()

    @property
    def _shared(self) -> bool:
        return self._engine.dialect.name == "postgresql"

    def _lock_path(self) -> Path | None:
        database = self._engine.url.database
        if self._engine.dialect.name != "sqlite" or not database or database == ":memory:":
            return None
        if database.startswith("file:"):
            return None  # a URI database (tests' shared memory): one process by construction
        return Path(database).with_name(f"{Path(database).name}.scheduler-{self._site_id}.lock")

    def _acquire_file(self, path: Path) -> bool:
        with self._lock:
            if self._file is not None:
                return True
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)
                return False
            except BaseException:
                os.close(descriptor)
                raise
            # Who holds it, for a technician looking at the file.
            os.ftruncate(descriptor, 0)
            os.write(descriptor, f"{os.getpid()}\n".encode())
            self._file = descriptor
            return True

    def acquire(self) -> bool:
        """Take the lease if nobody holds it; True when this process may schedule."""
        if not self._shared:
            path = self._lock_path()
            return True if path is None else self._acquire_file(path)
        with self._lock:
            if self._connection is not None:
                return True
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                got = bool(connection.scalar(select(func.pg_try_advisory_lock(self._key))))
            except Exception:
                connection.close()
                raise
            if not got:
                connection.close()
                return False
            self._connection = connection
            return True

    def release(self) -> None:
        """Give the lease up (closing the connection would too; this is prompt and explicit)."""
        with self._lock:
            connection, self._connection = self._connection, None
            descriptor, self._file = self._file, None
        if descriptor is not None:
            os.close(descriptor)  # closing the descriptor drops the flock
        if connection is None:
            return
        try:
            connection.scalar(select(func.pg_advisory_unlock(self._key)))
        except Exception:
            log.warning("releasing the scheduler lease failed; closing its connection frees it")
        finally:
            connection.close()


class LeaseWatcher:
    """Retries the lease every `interval_s` on its own thread and calls `on_acquired` once."""

    def __init__(
        self, lease: SchedulerLease, on_acquired: Callable[[], None], *, interval_s: float = 15.0
    ) -> None:
        self._lease = lease
        self._on_acquired = on_acquired
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler-lease", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                if self._lease.acquire():
                    log.info("scheduler lease acquired; this process schedules probes now")
                    self._on_acquired()
                    return
            except Exception:
                log.exception("trying the scheduler lease failed")
