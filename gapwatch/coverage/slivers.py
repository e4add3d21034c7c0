"""Sliver hygiene between overlays.

Overlays leave needle-thin polygons behind (areas around 1e-12 m²) where edges nearly coincide.
Fed back into GEOS 3.14 overlays next to other parts, such a needle can make an intersection or
difference silently wrong (upstream: libgeos/geos#1342, shapely/shapely#2077). Results that go
on into further overlays are therefore cleaned of parts no larger than a square millimetre.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

__all__ = ["SLIVER_M2", "drop_slivers", "drop_slivers_one"]

SLIVER_M2 = 1e-6
"""Polygon parts of at most this many m² are numerical dust, not ground."""

ObjectArray = np.ndarray[Any, np.dtype[np.object_]]

_POLYGON = 3
_MULTI_POLYGON = 6
_COLLECTION = 7


def drop_slivers_one(geometry: Any) -> Any:
    """The polygonal part of `geometry` without slivers (an empty Polygon if nothing is left)."""
    if geometry is None:
        return geometry
    kind = shapely.get_type_id(geometry)
    if kind == _POLYGON:
        return geometry if geometry.area > SLIVER_M2 else shapely.Polygon()
    if kind not in (_MULTI_POLYGON, _COLLECTION):
        return shapely.Polygon()
    parts = shapely.get_parts(geometry)
    good = (shapely.get_type_id(parts) == _POLYGON) & (shapely.area(parts) > SLIVER_M2)
    if good.all() and kind == _MULTI_POLYGON:
        return geometry
    keep = parts[good]
    if len(keep) == 0:
        return shapely.Polygon()
    return keep[0] if len(keep) == 1 else shapely.MultiPolygon(list(keep))


def drop_slivers(geometries: ObjectArray) -> ObjectArray:
    """drop_slivers_one over an array; plain polygons above the sliver size pass untouched."""
    out = geometries.copy()
    kinds = shapely.get_type_id(geometries)
    plain = (kinds == _POLYGON) & (shapely.area(geometries) > SLIVER_M2)
    for i in np.flatnonzero(~plain):
        out[i] = drop_slivers_one(geometries[i])
    return out
