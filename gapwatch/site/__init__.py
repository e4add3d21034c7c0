"""Site model: the validated site file, its local metric projection and loading with line numbers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gapwatch.site.models import (
    Camera,
    CoverageSettings,
    DispatchEndpoint,
    DispatchSettings,
    HealthSettings,
    LonLat,
    MaintenanceWindow,
    Obstacle,
    PatrolUnit,
    Period,
    PtzPreset,
    Road,
    SiteFile,
    SiteInfo,
    Zone,
    ZoneSchedule,
)
from gapwatch.site.projection import LocalProjection

__all__ = [
    "Camera",
    "CoverageSettings",
    "DispatchEndpoint",
    "DispatchSettings",
    "HealthSettings",
    "LocalProjection",
    "LonLat",
    "MaintenanceWindow",
    "Obstacle",
    "PatrolUnit",
    "Period",
    "PtzPreset",
    "Road",
    "Site",
    "SiteError",
    "SiteFile",
    "SiteInfo",
    "Zone",
    "ZoneSchedule",
]


@dataclass(frozen=True)
class Site:
    """A loaded site: the validated spec (all positions WGS84, GeoJSON sources merged in),
    where it was read from, and its local metric projection."""

    spec: SiteFile
    path: Path
    projection: LocalProjection

    @property
    def id(self) -> str:
        return self.spec.site.id

    def resolve(self, relative: str) -> Path:
        """A path written in the site file, relative to the file's folder."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.path.parent / candidate


class SiteError(Exception):
    """A site file that cannot be used; `problems` are `FILE:LINE: message` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
