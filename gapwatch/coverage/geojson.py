"""Metric geometries to RFC 7946 GeoJSON in longitude/latitude."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
import shapely.geometry

if TYPE_CHECKING:
    from gapwatch.site import LocalProjection

__all__ = ["feature", "feature_collection", "to_geojson"]

DEGREE_DIGITS = 7
"""1e-7 degrees is about 1 cm on the ground, finer than any camera position."""


def to_geojson(
    geometry: Any, projection: LocalProjection, digits: int = DEGREE_DIGITS
) -> dict[str, Any]:
    """A metric geometry as an RFC 7946 geometry dict: lon/lat, exteriors counter-clockwise."""
    lonlat = projection.unproject(geometry)
    # RFC 7946 §3.1.6: exterior rings counter-clockwise, holes clockwise.
    lonlat = shapely.set_precision(lonlat, 10.0**-digits, mode="keep_collapsed")
    lonlat = shapely.orient_polygons(lonlat, exterior_cw=False)
    # Snapping leaves binary noise (104.05010000000001); round so the text is clean.
    lonlat = shapely.transform(lonlat, lambda coords: np.round(coords, digits))
    out: dict[str, Any] = _plain(shapely.geometry.mapping(lonlat))
    return out


def _plain(value: Any) -> Any:
    # mapping() gives nested tuples; JSON writers and comparisons want plain lists of floats.
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def feature(
    geometry: Any, projection: LocalProjection, properties: Mapping[str, Any]
) -> dict[str, Any]:
    """One GeoJSON Feature."""
    return {
        "type": "Feature",
        "geometry": to_geojson(geometry, projection),
        "properties": dict(properties),
    }


def feature_collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection a GIS tool can open."""
    return {"type": "FeatureCollection", "features": features}
