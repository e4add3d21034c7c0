"""Live coverage: which ground goes unwatched, or is watched again, as cameras fail and recover.

Each change touches only the cameras' neighbourhood; zone blind spots are recomputed lazily, only
for zones a change touched, when someone asks for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from gapwatch.coverage.types import BlindSpot, GapChange

if TYPE_CHECKING:
    from gapwatch.coverage.model import CoverageModel

__all__ = ["LiveCoverage"]

BoolArray = np.ndarray[Any, np.dtype[np.bool_]]


class LiveCoverage:
    """Coverage state for a changing set of healthy cameras (owned by the alert engine)."""

    def __init__(self, model: CoverageModel, mask: BoolArray) -> None:
        self.model = model
        self._mask = mask.copy()
        self._blind: dict[int, Any] = {}  # zone index -> blind geometry, while still valid
        ids = model.camera_ids
        self._working = {ids[int(i)] for i in np.flatnonzero(self._mask)}
        self._healthy: frozenset[str] | None = None

    @property
    def healthy(self) -> frozenset[str]:
        """Ids of the cameras currently counted as working (the same object until a change,
        so a reader can tell "unchanged" without comparing 50,000 ids)."""
        healthy = self._healthy
        if healthy is None:
            healthy = self._healthy = frozenset(self._working)
        return healthy

    def is_healthy(self, camera_id: str) -> bool:
        return bool(self._mask[self.model.camera_index([camera_id])[0]])

    def gap_if_down(self, camera_ids: Iterable[str]) -> GapChange:
        """Ground that would go unwatched if these cameras failed now (state unchanged)."""
        idx = self.model.camera_index(camera_ids)
        idx = idx[self._mask[idx]]
        return self.model.gap_of(idx, self._mask)

    def take_down(self, camera_ids: Iterable[str]) -> GapChange:
        """Mark cameras as failed; returns the ground that just went unwatched."""
        idx = self.model.camera_index(camera_ids)
        idx = idx[self._mask[idx]]
        change = self.model.gap_of(idx, self._mask)
        self._mask[idx] = False
        self._working.difference_update(self.model.camera_ids[int(i)] for i in idx)
        self._touch(idx)
        return change

    def bring_up(self, camera_ids: Iterable[str]) -> GapChange:
        """Mark cameras as working again; returns the ground that is watched again."""
        idx = self.model.camera_index(camera_ids)
        idx = idx[~self._mask[idx]]
        change = self.model.gap_of(idx, self._mask)
        self._mask[idx] = True
        self._working.update(self.model.camera_ids[int(i)] for i in idx)
        self._touch(idx)
        return change

    def _touch(self, cameras: Any) -> None:
        if len(cameras):
            self._healthy = None
        for i in cameras:
            for z in self.model.camera_zones(int(i)):
                self._blind.pop(int(z), None)

    def blind_spots(self) -> list[BlindSpot]:
        """Current blind spots of every zone (slivers dropped)."""
        out: list[BlindSpot] = []
        for z in range(len(self.model.zones)):
            geometry = self._blind.get(z)
            if geometry is None:
                geometry = self.model.zone_blind(z, self._mask)
                self._blind[z] = geometry
            out.extend(self.model.blind_spot_pieces(z, geometry))
        return out
