"""Stored records the engine could not load: kept aside, logged and shown to an admin.

A record that cannot be read back (an open alert whose stored blind spots no longer make valid
geometry, for instance) must never stop the service from starting or resyncing. It is taken in
as far as it can be (the alert stays open and keeps its cameras, without its ground) and listed
here until the next load reads it cleanly.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

__all__ = ["Quarantine", "QuarantinedRecord"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuarantinedRecord:
    """One stored record that could not be loaded, and why."""

    kind: str
    record_id: str
    error: str
    at: dt.datetime


class Quarantine:
    """The records the last load could not read (the owner of that list)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str], QuarantinedRecord] = {}

    def add(self, *, kind: str, record_id: str, error: BaseException, at: dt.datetime) -> None:
        """Set a record aside, with the error in words an admin can act on."""
        text = f"{type(error).__name__}: {error}"[:2000]
        log.error("stored %s %s cannot be loaded; quarantined: %s", kind, record_id, text)
        with self._lock:
            self._records[(kind, record_id)] = QuarantinedRecord(kind, record_id, text, at)

    def replace(self, other: Quarantine) -> None:
        """Take another load's findings as the current list."""
        with self._lock, other._lock:
            self._records = dict(other._records)

    def records(self) -> list[QuarantinedRecord]:
        """Every record set aside, oldest first."""
        with self._lock:
            return sorted(self._records.values(), key=lambda r: (r.at, r.kind, r.record_id))

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
