"""Checks that a GeoJSON document is valid RFC 7946 that a GIS tool opens."""

from __future__ import annotations

import itertools
from typing import Any

GEOMETRY_TYPES = {"Point", "Polygon", "MultiPolygon"}


def ring_signed_area(ring: list[list[float]]) -> float:
    """Shoelace area in degrees²: positive when counter-clockwise.

    Taken relative to the first position: products of raw longitudes (~150°) would cancel
    away the area of a small ring in rounding error.
    """
    ox, oy = ring[0]
    rel = [(x - ox, y - oy) for x, y in ring]
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(rel))


def check_position(position: list[float]) -> None:
    assert len(position) == 2, position
    lon, lat = position
    assert -180.0 <= lon <= 180.0, position
    assert -90.0 <= lat <= 90.0, position


def check_polygon(rings: list[list[list[float]]]) -> None:
    assert rings, "a polygon needs an exterior ring"
    for k, ring in enumerate(rings):
        assert len(ring) >= 4, f"ring {k} has {len(ring)} positions"
        assert ring[0] == ring[-1], f"ring {k} is not closed"
        for position in ring:
            check_position(position)
        area = ring_signed_area(ring)
        if k == 0:
            assert area > 0, "exterior ring must be counter-clockwise (RFC 7946 3.1.6)"
        else:
            assert area < 0, "holes must be clockwise (RFC 7946 3.1.6)"


def check_geometry(geometry: dict[str, Any]) -> None:
    kind = geometry["type"]
    assert kind in GEOMETRY_TYPES, kind
    if kind == "Point":
        check_position(geometry["coordinates"])
    elif kind == "Polygon":
        check_polygon(geometry["coordinates"])
    else:
        assert geometry["coordinates"], "empty MultiPolygon"
        for polygon in geometry["coordinates"]:
            check_polygon(polygon)


def check_feature_collection(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Assert the document is a valid FeatureCollection; return its features."""
    assert document["type"] == "FeatureCollection"
    assert isinstance(document["features"], list)
    for item in document["features"]:
        assert item["type"] == "Feature"
        assert isinstance(item["properties"], dict)
        check_geometry(item["geometry"])
    return list(document["features"])


def positions(geometry: dict[str, Any]) -> list[list[float]]:
    """Every [lon, lat] position of a Point, Polygon or MultiPolygon."""
    kind = geometry["type"]
    if kind == "Point":
        return [geometry["coordinates"]]
    polygons = [geometry["coordinates"]] if kind == "Polygon" else geometry["coordinates"]
    return [p for polygon in polygons for ring in polygon for p in ring]
