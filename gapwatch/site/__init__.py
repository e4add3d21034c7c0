"""Site model: the validated site file, its local metric projection, loading with line numbers."""

from __future__ import annotations

from gapwatch.site.json_schema import site_json_schema
from gapwatch.site.loaded import Site, SiteError
from gapwatch.site.loader import SiteReading, load_site, read_site
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
from gapwatch.site.problems import Problem
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
    "Problem",
    "PtzPreset",
    "Road",
    "Site",
    "SiteError",
    "SiteFile",
    "SiteInfo",
    "SiteReading",
    "Zone",
    "ZoneSchedule",
    "load_site",
    "read_site",
    "site_json_schema",
]
