"""Coverage engine: camera views on the ground, blind spots, failure gaps, live coverage and
placement suggestions. All geometry is metric (the site's local projection)."""

from gapwatch.coverage.geojson import (
    GeoJSONGeometryError,
    feature,
    feature_collection,
    from_geojson,
    lonlat_geometry,
    to_geojson,
    to_geojson_many,
    to_geojson_texts,
)
from gapwatch.coverage.live import LiveCoverage
from gapwatch.coverage.model import CoverageModel, UnknownCameraError
from gapwatch.coverage.overlay import CoverageGeometryError
from gapwatch.coverage.overlay import union as robust_union
from gapwatch.coverage.overlay import union_all as robust_union_all
from gapwatch.coverage.placement import (
    CandidateSpec,
    Placement,
    sample_candidates,
    suggest_placements,
)
from gapwatch.coverage.site_geometry import SiteGeometry, camera_geometry, site_geometry
from gapwatch.coverage.types import (
    DENSITY_BANDS,
    BlindSpot,
    CameraGeometry,
    CameraView,
    CoverageResult,
    FailureGap,
    GapChange,
    PresetGeometry,
    ViewOption,
    ZoneArea,
    ZoneCoverage,
    ZoneShape,
)
from gapwatch.coverage.views import density_range_m, ground_limits

__all__ = [
    "DENSITY_BANDS",
    "BlindSpot",
    "CameraGeometry",
    "CameraView",
    "CandidateSpec",
    "CoverageGeometryError",
    "CoverageModel",
    "CoverageResult",
    "FailureGap",
    "GapChange",
    "GeoJSONGeometryError",
    "LiveCoverage",
    "Placement",
    "PresetGeometry",
    "SiteGeometry",
    "UnknownCameraError",
    "ViewOption",
    "ZoneArea",
    "ZoneCoverage",
    "ZoneShape",
    "camera_geometry",
    "density_range_m",
    "feature",
    "feature_collection",
    "from_geojson",
    "ground_limits",
    "lonlat_geometry",
    "robust_union",
    "robust_union_all",
    "sample_candidates",
    "site_geometry",
    "suggest_placements",
    "to_geojson",
    "to_geojson_many",
    "to_geojson_texts",
]
