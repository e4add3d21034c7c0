"""The project's one GeoJSON geometry writer and reader: metric geometry ⇄ RFC 7946 lon/lat.

Writing rounds to a 1e-7° grid (about 1 cm) and then makes the result valid: a valid metric
polygon can turn invalid on the way, since the projection bends its edges and rounding moves its
vertices (a narrow spike or a hole touching its shell ends up crossing itself). Snapping with
GEOS instead (set_precision) raises on such input. Exteriors come out counter-clockwise and holes
clockwise (RFC 7946 §3.1.6). Reading repairs what it can and raises GeoJSONGeometryError for what
it cannot, so a caller can set the record aside instead of failing.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
import shapely.geometry
from shapely.errors import GEOSException, ShapelyError

from gapwatch.coverage import overlay

if TYPE_CHECKING:
    from gapwatch.site import LocalProjection

__all__ = [
    "DEGREE_DIGITS",
    "GeoJSONGeometryError",
    "feature",
    "feature_collection",
    "from_geojson",
    "lonlat_geometry",
    "to_geojson",
    "to_geojson_many",
    "to_geojson_texts",
]

DEGREE_DIGITS = 7
"""1e-7 degrees is about 1 cm on the ground, finer than any camera position."""

# Attempts at round-then-repair: make_valid can add vertices off the grid (where edges cross),
# which the next round puts back on it. Two rounds settle every case seen; the loop is a bound.
_SETTLE_ROUNDS = 4

_AREAL = {"Polygon", "MultiPolygon"}


class GeoJSONGeometryError(ValueError):
    """A GeoJSON geometry that cannot be read back as valid ground."""


def _ring(coords: Any) -> Any:
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = np.any(coords[1:] != coords[:-1], axis=1)
    unique = coords[keep]
    return unique if len(unique) >= 4 else None


def _without_collapsed_rings(geometry: Any) -> Any:
    """Polygons rebuilt from their rings without repeated positions; collapsed rings left out."""
    polygons = []
    for part in shapely.get_parts(geometry):
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        shell = _ring(np.asarray(part.exterior.coords))
        if shell is None:
            continue
        holes = [h for h in (_ring(np.asarray(r.coords)) for r in part.interiors) if h is not None]
        polygons.append(shapely.Polygon(shell, holes))
    if not polygons:
        return shapely.Polygon()
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def _areal_part(geometry: Any) -> Any:
    """Only the polygons of a repaired geometry (make_valid can add lines and points)."""
    if geometry.geom_type in _AREAL:
        return geometry
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type == "Polygon" and p.area > 0]
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _rounded_many(geometries: Any, digits: int) -> Any:
    """Each element of an object array on the 10^-digits grid. Vertices closer than the grid
    fall onto one position: it is kept once (RFC 7946 readers such as geojson-validator flag
    repeated positions), and a ring that collapses to fewer than three is left out."""
    rounded = shapely.transform(geometries, lambda coords: np.round(coords, digits))
    try:
        return shapely.remove_repeated_points(rounded)
    except GEOSException:
        out = np.empty(len(rounded), dtype=object)
        for k, geometry in enumerate(rounded.tolist()):
            try:
                out[k] = shapely.remove_repeated_points(geometry)
            except GEOSException:
                out[k] = _without_collapsed_rings(geometry)
        return out


_POLYGON_TYPES = (3, 6)  # shapely type ids of Polygon and MultiPolygon
_COLLECTION_TYPE = 7


def _areal_flags(geometries: Any) -> Any:
    """Which elements are polygons, or collections holding a polygon."""
    types = shapely.get_type_id(geometries)
    areal = np.isin(types, _POLYGON_TYPES)
    for k in np.flatnonzero(types == _COLLECTION_TYPE).tolist():
        parts = shapely.get_parts(geometries[k])
        areal[k] = bool(np.isin(shapely.get_type_id(parts), _POLYGON_TYPES).any())
    return areal


def _settled(lonlat: Any, digits: int) -> Any:
    """Rounded lon/lat geometries made valid: each invalid one repaired and rounded again, a
    few rounds, then kept repaired off the grid if rounding still breaks it; RFC 7946 winding.
    The same steps for each element as one at a time, in array calls over those still invalid."""
    lonlat = lonlat.copy()
    todo = np.flatnonzero(~shapely.is_valid(lonlat))
    if len(todo) == 0:
        return shapely.orient_polygons(lonlat, exterior_cw=False)
    areal = _areal_flags(lonlat[todo])

    def repaired(geometries: Any, keep_areal: Any) -> Any:
        fixed = overlay.repaired(geometries)
        for k in np.flatnonzero(keep_areal).tolist():
            fixed[k] = _areal_part(fixed[k])
        return fixed

    for _ in range(_SETTLE_ROUNDS):
        lonlat[todo] = _rounded_many(repaired(lonlat[todo], areal), digits)
        still = ~shapely.is_valid(lonlat[todo])
        todo, areal = todo[still], areal[still]
        if len(todo) == 0:
            break
    if len(todo):
        # Still crossing itself after rounding: keep the repaired form, just off the grid.
        lonlat[todo] = repaired(lonlat[todo], areal)
    return shapely.orient_polygons(lonlat, exterior_cw=False)


def lonlat_geometry(geometry: Any, projection: LocalProjection, digits: int = DEGREE_DIGITS) -> Any:
    """A metric geometry in lon/lat: on the 10^-digits degree grid, valid, RFC 7946 winding."""
    metric = np.empty(1, dtype=object)
    metric[0] = geometry
    return _settled(_rounded_many(projection.unproject(metric), digits), digits)[0]


def to_geojson(
    geometry: Any, projection: LocalProjection, digits: int = DEGREE_DIGITS
) -> dict[str, Any]:
    """A metric geometry as an RFC 7946 geometry dict (see lonlat_geometry)."""
    lonlat = lonlat_geometry(geometry, projection, digits)
    if lonlat.is_empty:  # smaller than the grid; GEOS would write [[]] for an empty polygon
        return {"type": lonlat.geom_type, "coordinates": []}
    # GEOS's GeoJSON writer, read back as plain lists: several times faster than mapping().
    out: dict[str, Any] = json.loads(shapely.to_geojson(lonlat))
    return out


def to_geojson_many(
    geometries: Sequence[Any], projection: LocalProjection, digits: int = DEGREE_DIGITS
) -> list[dict[str, Any]]:
    """`to_geojson` of each geometry, the same dicts, with the common case done in array calls.

    Projection, rounding, the validity test, the repair rounds of those rounding left invalid,
    winding and writing each run as array calls over all of them.
    """
    return [json.loads(text) for text in to_geojson_texts(geometries, projection, digits)]


def to_geojson_texts(
    geometries: Sequence[Any], projection: LocalProjection, digits: int = DEGREE_DIGITS
) -> list[str]:
    """`to_geojson_many` as JSON text, for a body written without reading it back (a county's
    blind spots hold hundreds of thousands of positions)."""
    if not geometries:
        return []
    metric = np.empty(len(geometries), dtype=object)
    metric[:] = list(geometries)
    lonlat = _settled(_rounded_many(projection.unproject(metric), digits), digits)
    written = shapely.to_geojson(lonlat)
    out: list[str] = []
    for geometry, text in zip(lonlat.tolist(), written.tolist(), strict=True):
        if geometry.is_empty:  # GEOS would write [[]] for an empty polygon
            out.append(json.dumps({"type": geometry.geom_type, "coordinates": []}))
        else:
            out.append(text)
    return out


def from_geojson(geometry: Mapping[str, Any], projection: LocalProjection) -> Any:
    """A GeoJSON geometry (lon/lat) back to valid metric geometry; GeoJSONGeometryError if not.

    Invalid polygons are repaired (in lon/lat, and again after projecting); a geometry that is
    malformed, not finite or off the globe cannot be read.
    """
    try:
        with warnings.catch_warnings():
            # shapely only warns about NaN positions ("invalid value encountered").
            warnings.simplefilter("error", RuntimeWarning)
            shape = shapely.geometry.shape(geometry)
    except RuntimeWarning as err:
        raise GeoJSONGeometryError("a coordinate is not a finite number") from err
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ShapelyError) as err:
        raise GeoJSONGeometryError(f"not a GeoJSON geometry: {err}") from err
    coords = shapely.get_coordinates(shape)
    if not np.isfinite(coords).all():
        raise GeoJSONGeometryError("a coordinate is not a finite number")
    if len(coords) and (np.abs(coords[:, 0]).max() > 180.0 or np.abs(coords[:, 1]).max() > 90.0):
        raise GeoJSONGeometryError("a position lies outside longitude ±180°, latitude ±90°")
    try:
        metric = projection.project(overlay.repaired(shape))
        metric = overlay.repaired(metric)
    except (GEOSException, ValueError) as err:
        raise GeoJSONGeometryError(f"cannot repair the geometry: {err}") from err
    if not metric.is_empty and not math.isfinite(float(metric.area)):
        raise GeoJSONGeometryError("the geometry does not project to the site's plane")
    return metric


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
