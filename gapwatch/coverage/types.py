"""The coverage engine's value types: metric inputs and the answers it gives.

Everything is in the site's local metric projection (x east, y north, metres; areas in m²).
Geometries are shapely 2 objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gapwatch.coverage.terrain import Terrain

__all__ = [
    "DENSITY_BANDS",
    "BlindSpot",
    "CameraGeometry",
    "CameraView",
    "CoverageResult",
    "FailureGap",
    "GapChange",
    "PresetGeometry",
    "ViewOption",
    "ZoneArea",
    "ZoneCoverage",
    "ZoneShape",
]

# IEC 62676-4 pixel densities at the scene, pixels per metre, from the loosest to the strictest.
DENSITY_BANDS: Mapping[str, float] = {
    "detect": 25.0,
    "observe": 62.0,
    "recognise": 125.0,
    "identify": 250.0,
}

Geometry = Any  # shapely ships no type information


@dataclass(frozen=True)
class PresetGeometry:
    """A PTZ preset: where the camera looks when moved to it."""

    id: str
    heading_deg: float
    hfov_deg: float
    range_m: float
    tilt_deg: float | None = None


@dataclass(frozen=True)
class CameraGeometry:
    """A camera in metric coordinates: position, aim and optics."""

    id: str
    x: float
    y: float
    heading_deg: float
    hfov_deg: float
    range_m: float
    height_m: float | None = None
    tilt_deg: float | None = None
    vfov_deg: float | None = None
    resolution: tuple[int, int] | None = None
    group: str | None = None
    presets: tuple[PresetGeometry, ...] = ()

    def __post_init__(self) -> None:
        # Positions are kept to the micrometre: far finer than any survey, and it keeps values
        # like 1e-300 (an "almost zero" from arithmetic) out of GEOS, whose overlays go wrong
        # when coordinates in one input span hundreds of orders of magnitude.
        object.__setattr__(self, "x", round(self.x, 6))
        object.__setattr__(self, "y", round(self.y, 6))
        if not 0.0 < self.hfov_deg <= 360.0:
            raise ValueError(f"camera {self.id}: hfov_deg {self.hfov_deg} is outside (0, 360]")
        if not self.range_m > 0.0:
            raise ValueError(f"camera {self.id}: range_m {self.range_m} must be positive")
        if self.height_m is not None and self.height_m <= 0.0:
            raise ValueError(f"camera {self.id}: height_m {self.height_m} must be positive")
        if self.vfov_deg is not None and not 0.0 < self.vfov_deg < 180.0:
            raise ValueError(f"camera {self.id}: vfov_deg {self.vfov_deg} is outside (0, 180)")

    def aimed(self, preset: PresetGeometry) -> CameraGeometry:
        """The same camera moved to `preset` (position, mount and sensor unchanged)."""
        return CameraGeometry(
            id=self.id,
            x=self.x,
            y=self.y,
            heading_deg=preset.heading_deg,
            hfov_deg=preset.hfov_deg,
            range_m=preset.range_m,
            height_m=self.height_m,
            tilt_deg=preset.tilt_deg if preset.tilt_deg is not None else self.tilt_deg,
            vfov_deg=self.vfov_deg,
            resolution=self.resolution,
            group=self.group,
        )


@dataclass(frozen=True)
class ZoneShape:
    """A zone as drawn: metric polygon, obstacles not yet removed."""

    id: str
    name: str
    importance: int
    polygon: Geometry


@dataclass(frozen=True)
class ZoneArea:
    """A zone's watchable ground: its polygon with obstacles removed."""

    id: str
    name: str
    importance: int
    polygon: Geometry
    area_m2: float


@dataclass(frozen=True, eq=False)
class CameraView:
    """The ground one camera (or one of its PTZ presets) sees, after dead zone and shadows."""

    camera_id: str
    geometry: Geometry
    camera: CameraGeometry
    preset_id: str | None = None
    terrain: Terrain | None = field(default=None, repr=False)
    """The site's terrain, when it has a DEM: density bands then use slant distances."""

    @property
    def area_m2(self) -> float:
        return float(self.geometry.area)

    @cached_property
    def density_bands(self) -> dict[str, Geometry]:
        """Ground seen at each IEC 62676-4 pixel density (empty without a resolution)."""
        from gapwatch.coverage.views import density_bands

        return density_bands(self.camera, self.geometry, self.terrain)


@dataclass(frozen=True)
class BlindSpot:
    """A connected piece of ground inside one zone that no working camera sees."""

    zone: str
    importance: int
    area_m2: float
    geometry: Geometry


@dataclass(frozen=True)
class ZoneCoverage:
    """One zone's coverage figures (exact; slivers are only dropped from the blind-spot list)."""

    id: str
    name: str
    importance: int
    area_m2: float
    covered_m2: float
    overlap_m2: float | None = None

    @property
    def blind_m2(self) -> float:
        return max(0.0, self.area_m2 - self.covered_m2)

    @property
    def coverage_ratio(self) -> float:
        return self.covered_m2 / self.area_m2 if self.area_m2 > 0.0 else 1.0


@dataclass(frozen=True)
class CoverageResult:
    """Coverage of every zone for one set of healthy cameras."""

    zones: list[ZoneCoverage]
    blind_spots: list[BlindSpot]
    healthy: frozenset[str]
    overlap: dict[str, Geometry] | None = field(default=None, repr=False)
    """Per zone id, the ground seen by two or more healthy cameras (when asked for)."""

    @property
    def area_m2(self) -> float:
        return sum(z.area_m2 for z in self.zones)

    @property
    def covered_m2(self) -> float:
        return sum(z.covered_m2 for z in self.zones)

    @property
    def coverage_ratio(self) -> float:
        area = self.area_m2
        return self.covered_m2 / area if area > 0.0 else 1.0


@dataclass(frozen=True)
class FailureGap:
    """The ground only this camera sees among the healthy ones: what its failure leaves blind."""

    camera_id: str
    area_m2: float
    weighted_m2: float
    pieces: list[BlindSpot]


@dataclass(frozen=True)
class GapChange:
    """Ground that went unwatched (take_down) or is watched again (bring_up)."""

    cameras: tuple[str, ...]
    pieces: list[BlindSpot]
    area_m2: float
    weighted_m2: float
    by_zone: dict[str, float]
    """Exact m² per zone id (pieces below the sliver size are left out of `pieces` only)."""

    @property
    def empty(self) -> bool:
        return self.area_m2 <= 0.0


@dataclass(frozen=True)
class ViewOption:
    """A working camera (at its current aim, or at a PTZ preset) that sees into some ground."""

    camera_id: str
    preset_id: str | None
    seen_m2: float
    share: float
