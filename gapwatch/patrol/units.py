"""The site's patrol units and which of them are busy: the one owner of that state."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from types import MappingProxyType

from gapwatch.patrol.routing import UnitPosition

__all__ = ["Units"]


class Units:
    """Patrol units and the road_patrol task each is on (a unit is busy until it ends)."""

    def __init__(self, positions: Iterable[UnitPosition]) -> None:
        self.positions: tuple[UnitPosition, ...] = tuple(positions)
        self._busy: dict[str, str] = {}

    @property
    def busy(self) -> Mapping[str, str]:
        """Unit id → the road_patrol task it is on (read-only)."""
        return MappingProxyType(self._busy)

    def mark_busy(self, unit: str, task_id: str) -> None:
        """The unit took `task_id`."""
        self._busy[unit] = task_id

    def release(self, unit: str, task_id: str) -> bool:
        """The unit's task `task_id` ended: it is free again (unless it already took another)."""
        if self._busy.get(unit) != task_id:
            return False
        del self._busy[unit]
        return True

    def replace(self, busy: Mapping[str, str]) -> bool:
        """Take the store's view of who is busy; True if it differed."""
        if dict(busy) == self._busy:
            return False
        self._busy = dict(busy)
        return True

    def free(self, *, refused: Collection[str] = ()) -> list[UnitPosition]:
        """Units available now, not busy and not among `refused`."""
        return [
            u
            for u in self.positions
            if u.available and u.id not in refused and u.id not in self._busy
        ]

    def __iter__(self) -> Iterator[UnitPosition]:
        return iter(self.positions)
