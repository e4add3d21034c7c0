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
from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeVar, cast

from gapwatch.coverage import CoverageModel, CoverageResult

__all__ = ["CoverageSnapshot", "SnapshotBook", "TextMemo"]

View = TypeVar("View")


class CoverageSnapshot:
    """Live coverage for one set of healthy cameras (immutable once made; derived views are
    computed once, on first use)."""

    def __init__(
        self,
        model: CoverageModel,
        generation: int,
        healthy: frozenset[str],
        base: CoverageSnapshot | None = None,
    ) -> None:
        self.generation = generation
        self.healthy = healthy
        self._model = model
        self._lock = threading.Lock()
        self._result: CoverageResult | None = None
        self._mask: Any = None
        self._blinds: Any = None  # every zone's blind ground, once computed
        # An earlier snapshot whose blind ground is (or will be) computed: only the zones the
        # changed cameras reach are computed again from it.
        self._base = base
        self._views: dict[str, Any] = {}

    @property
    def computed(self) -> bool:
        """Whether this snapshot's blind ground has been computed."""
        return self._blinds is not None

    @property
    def base(self) -> CoverageSnapshot | None:
        """The snapshot a successor should compute from: this one once computed."""
        return self if self.computed else self._base

    def _computed(self) -> tuple[Any, Any, CoverageResult]:
        """(mask, every zone's blind ground, result), computed once."""
        with self._lock:
            if self._result is None:
                mask = self._model.healthy_mask(self.healthy)
                earlier = self._base._computed() if self._base is not None else None
                since = (earlier[0], earlier[1]) if earlier is not None else None
                blinds = self._model.zone_blinds(mask, since)
                self._result = self._model.result_of(
                    mask, blinds, earlier=(earlier[1], earlier[2]) if earlier else None
                )
                self._mask, self._blinds = mask, blinds
                self._base = None  # no chain of old snapshots kept alive
            return self._mask, self._blinds, self._result

    @property
    def result(self) -> CoverageResult:
        """Coverage per zone and the blind spots, for this snapshot's healthy cameras."""
        return self._computed()[2]

    def view(self, name: str, render: Callable[[CoverageSnapshot], View]) -> View:
        """A rendered form of this snapshot (GeoJSON takes longer than the geometry), made once."""
        with self._lock:
            if name in self._views:
                return self._views[name]  # type: ignore[no-any-return]
        made = render(self)
        with self._lock:
            return self._views.setdefault(name, made)  # type: ignore[no-any-return]


class TextMemo:
    """Text rendered from objects (blind-spot geometries, blind spots), kept while the current
    snapshot still holds them.

    A zone no changed camera reaches keeps its blind geometry and blind-spot objects from one
    snapshot to the next, so their GeoJSON and their part of each API body are written once,
    not on every change elsewhere in the county.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._texts: dict[int, tuple[Any, str]] = {}  # id -> (the object, held; its text)

    def texts(self, objects: Sequence[Any], render: Callable[[list[Any]], list[str]]) -> list[str]:
        """The text of each object; `render` writes the ones not seen before, in one call.

        Objects no longer asked for are let go once they outnumber these (an entry holds its
        object, so an id is never another object's while it is kept)."""
        with self._lock:
            known = self._texts
        out: list[str | None] = []
        missing: list[int] = []
        for k, item in enumerate(objects):
            entry = known.get(id(item))
            if entry is not None and entry[0] is item:
                out.append(entry[1])
            else:
                out.append(None)
                missing.append(k)
        if not missing:
            return cast(list[str], out)  # every entry was found
        for k, text in zip(missing, render([objects[k] for k in missing]), strict=True):
            out[k] = text
        done = [t for t in out if t is not None]
        with self._lock:
            texts = dict(self._texts)
            texts.update((id(objects[k]), (objects[k], done[k])) for k in missing)
            if len(texts) > 2 * len(objects) + 64:  # mostly gone from the snapshot
                texts = {id(o): (o, t) for o, t in zip(objects, done, strict=True)}
            self._texts = texts
        return done


class SnapshotBook:
    """Holds the current snapshot; `publish` after each commit, `current` to read."""

    def __init__(self, model: CoverageModel, healthy: Collection[str] | None = None) -> None:
        self._model = model
        self._lock = threading.Lock()
        self.cameras = frozenset(model.camera_ids)
        """Every camera of the model."""
        every = self.cameras if healthy is None else frozenset(healthy)
        self._current = CoverageSnapshot(model, 0, every)
        self.geojson = TextMemo()
        """Each blind-spot geometry's GeoJSON."""
        self._parts: dict[str, TextMemo] = {}

    def parts(self, body: str) -> TextMemo:
        """Each blind spot's part of the API body `body` (one memo per body)."""
        with self._lock:
            return self._parts.setdefault(body, TextMemo())

    def publish(self, healthy: Collection[str]) -> CoverageSnapshot:
        """The snapshot for `healthy`: the current one if the set is unchanged, else the next
        generation, which becomes current."""
        wanted = frozenset(healthy)  # the same object when it already is a frozenset
        with self._lock:
            if wanted is not self._current.healthy and wanted != self._current.healthy:
                current = self._current
                self._current = CoverageSnapshot(
                    self._model, current.generation + 1, wanted, base=current.base
                )
            return self._current

    def current(self) -> CoverageSnapshot:
        """The snapshot published last."""
        with self._lock:
            return self._current
