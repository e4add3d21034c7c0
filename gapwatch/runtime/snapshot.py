"""The one live-coverage snapshot every reader shares: the API's coverage and blind-spot views,
the audit and the patrol plans read it; the writer publishes a new one after each commit.

A snapshot is the set of cameras watching their ground, a generation number, and what is
derived from that set (the coverage result and its rendered API views), computed once on first
use. The database is the truth across processes: a reader hands in the healthy set it read
from the store, and a set that differs from the current snapshot's makes the next generation,
so an API replica follows the prober without a message between them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from gapwatch.coverage import CoverageModel, CoverageResult

__all__ = ["CoverageSnapshot", "SnapshotBook"]

View = TypeVar("View")


class CoverageSnapshot:
    """Live coverage for one set of healthy cameras (immutable once made; derived views are
    computed once, on first use)."""

    def __init__(self, model: CoverageModel, generation: int, healthy: frozenset[str]) -> None:
        self.generation = generation
        self.healthy = healthy
        self._model = model
        self._lock = threading.Lock()
        self._result: CoverageResult | None = None
        self._views: dict[str, Any] = {}

    @property
    def result(self) -> CoverageResult:
        """Coverage per zone and the blind spots, for this snapshot's healthy cameras."""
        with self._lock:
            if self._result is None:
                self._result = self._model.compute(self.healthy, overlap=False)
            return self._result

    def view(self, name: str, render: Callable[[CoverageSnapshot], View]) -> View:
        """A rendered form of this snapshot (GeoJSON takes longer than the geometry), made once."""
        with self._lock:
            if name in self._views:
                return self._views[name]  # type: ignore[no-any-return]
        made = render(self)
        with self._lock:
            return self._views.setdefault(name, made)  # type: ignore[no-any-return]


class SnapshotBook:
    """Holds the current snapshot; `publish` after each commit, `current` to read."""

    def __init__(self, model: CoverageModel, healthy: Collection[str] | None = None) -> None:
        self._model = model
        self._lock = threading.Lock()
        every = frozenset(model.camera_ids if healthy is None else healthy)
        self._current = CoverageSnapshot(model, 0, every)

    def publish(self, healthy: Collection[str]) -> CoverageSnapshot:
        """The snapshot for `healthy`: the current one if the set is unchanged, else the next
        generation, which becomes current."""
        wanted = frozenset(healthy)
        with self._lock:
            if wanted != self._current.healthy:
                self._current = CoverageSnapshot(self._model, self._current.generation + 1, wanted)
            return self._current

    def current(self) -> CoverageSnapshot:
        """The snapshot published last."""
        with self._lock:
            return self._current
