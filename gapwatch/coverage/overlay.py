"""Overlays that never raise: every intersection, difference and union of the engine goes here.

GEOS's floating-point overlay raises TopologyException ("side location conflict", "unable to
assign free hole to a shell") on some valid but nearly coincident inputs: grid-aligned towns,
cameras on building corners, rings that touch. Its snap-rounding overlay on a fixed precision grid
(shapely's `grid_size`) is robust for valid inputs by construction, but costs three to six times
as much (bench/coverage.py --grid-only measures it). So each call runs the floating overlay, and
when GEOS reports a failure the same call is redone on a 1 mm grid with the inputs repaired by
`make_valid`; a result from the grid is valid and on the grid. Inputs that can be invalid
(user polygons, geometry read back from storage) are repaired first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import shapely
from shapely.errors import GEOSException

__all__ = [
    "GRID_M",
    "CoverageGeometryError",
    "difference",
    "disjoint_union_all",
    "intersection",
    "on_grid",
    "repaired",
    "union",
    "union_all",
]

GRID_M = 1e-3
"""The fixed precision grid of the fallback overlay: 1 mm, far below any survey's accuracy."""

FLOATING_FIRST = True
"""Try GEOS's floating overlay before the grid (bench/coverage.py --grid-only turns it off to
measure the all-grid cost)."""

Geometry = Any


# Edges a hair apart (coordinates like 1e-308 beside 1e-172) make GEOS's floating overlay divide
# by zero: numpy reports it as a warning and the result is not to be trusted, so it counts as a
# failure and the call is redone on the grid, where such coordinates are 0.
_FLOATING_FAILS: dict[str, Any] = {"divide": "raise", "invalid": "raise", "over": "raise"}
# _GRID_QUIET: the grid overlay (and set_precision) raise the same flags while rounding such
# coordinates to the grid, and their result is valid and right (an area within the grid's
# rounding of the exact one), so on the grid the flags are not news.


class CoverageGeometryError(ValueError):
    """Geometry GEOS cannot overlay even after repair (a message a person can act on)."""


def repaired(geometry: Any) -> Any:
    """The geometry (or array) with every invalid element made valid; valid ones untouched."""
    if isinstance(geometry, np.ndarray):
        out = geometry.copy()
        present = shapely.is_geometry(geometry)
        bad = present & ~shapely.is_valid(geometry)
        if bad.any():
            out[bad] = shapely.make_valid(geometry[bad], method="structure", keep_collapsed=False)
        return out
    if geometry is None or shapely.is_valid(geometry):
        return geometry
    return shapely.make_valid(geometry, method="structure", keep_collapsed=False)


_COLLECTION = 7


def _homogeneous_one(geometry: Any) -> Any:
    """A mixed collection (polygons with lines or points, left by an earlier overlay) reduced to
    its highest dimension: GEOS's grid overlay refuses mixed-dimension input."""
    parts = shapely.get_parts(geometry)
    if len(parts) == 0:
        return geometry
    dims = shapely.get_dimensions(parts)
    top = parts[dims == dims.max()]
    return top[0] if len(top) == 1 else shapely.union_all(top, grid_size=GRID_M)


def _homogeneous(geometry: Any) -> Any:
    if isinstance(geometry, np.ndarray):
        out = geometry.copy()
        for i in np.flatnonzero(shapely.get_type_id(geometry) == _COLLECTION):
            out.flat[i] = _homogeneous_one(geometry.flat[i])
        return out
    if geometry is not None and shapely.get_type_id(geometry) == _COLLECTION:
        return _homogeneous_one(geometry)
    return geometry


def on_grid(geometry: Any) -> Any:
    """Valid geometry snapped to the 1 mm grid (and made valid again if snapping collapsed it)."""
    return repaired(shapely.set_precision(repaired(geometry), GRID_M))


def _deep_repair(geometry: Any) -> Any:
    if geometry is None:
        return None
    snapped = shapely.set_precision(repaired(geometry), GRID_M, mode="pointwise")
    return repaired(snapped)


def _robust(
    op: Callable[..., Any], name: str, *args: Any, grid: bool = False, **kwargs: Any
) -> Any:
    """`op(*args)`: floating first, then on the grid with repaired inputs, then element-wise."""
    if FLOATING_FIRST and not grid:
        try:
            with np.errstate(**_FLOATING_FAILS):
                return op(*args, **kwargs)
        except (GEOSException, FloatingPointError):
            pass
    with np.errstate(all="ignore"):  # see _GRID_QUIET
        fixed = [repaired(_homogeneous(a)) for a in args]
        try:
            return op(*fixed, grid_size=GRID_M, **kwargs)
        except GEOSException as err:
            if not any(isinstance(a, np.ndarray) for a in fixed):
                try:
                    return op(*(_deep_repair(a) for a in fixed), grid_size=GRID_M, **kwargs)
                except GEOSException as again:
                    raise CoverageGeometryError(
                        f"几何运算失败 geometry {name} failed even on a {GRID_M} m grid: {again}"
                    ) from err
        return _elementwise(op, name, fixed, kwargs)


def _elementwise(op: Callable[..., Any], name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """A vectorised binary call that failed on the grid: redo it element by element."""
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=object) for a in args))
    out = np.empty(arrays[0].shape, dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = _robust(op, name, *(a[index] for a in arrays), grid=True, **kwargs)
    return out


def intersection(a: Any, b: Any) -> Any:
    """shapely.intersection that never raises a GEOS topology error."""
    return _robust(shapely.intersection, "intersection", a, b)


def difference(a: Any, b: Any, *, grid: bool = False) -> Any:
    """shapely.difference that never raises a GEOS topology error; `grid`: on the 1 mm grid
    only (robust by construction: GEOS's floating overlay can also be silently wrong)."""
    return _robust(shapely.difference, "difference", a, b, grid=grid)


def union(a: Any, b: Any) -> Any:
    """shapely.union that never raises a GEOS topology error."""
    return _robust(shapely.union, "union", a, b)


def union_all(geometries: Any, axis: int | None = None) -> Any:
    """shapely.union_all that never raises a GEOS topology error."""
    if FLOATING_FIRST:
        try:
            with np.errstate(**_FLOATING_FAILS):
                return shapely.union_all(geometries, axis=axis)
        except (GEOSException, FloatingPointError):
            pass
    with np.errstate(all="ignore"):  # see _GRID_QUIET
        fixed = repaired(_homogeneous(np.asarray(geometries, dtype=object)))
        try:
            return shapely.union_all(fixed, grid_size=GRID_M, axis=axis)
        except GEOSException:
            pass
        if axis is None or fixed.ndim == 1:
            deep = np.array([_deep_repair(g) for g in fixed.ravel()], dtype=object)
            try:
                return shapely.union_all(deep, grid_size=GRID_M)
            except GEOSException as err:
                raise CoverageGeometryError(
                    f"几何合并失败 geometry union failed even on a {GRID_M} m grid: {err}"
                ) from err
    moved = np.moveaxis(fixed, axis, -1)
    out = np.empty(moved.shape[:-1], dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = union_all(moved[index])
    return out


def disjoint_union_all(geometries: Any, axis: int | None = None) -> Any:
    """Union of geometries that fall apart into clusters (faster); never raises either."""
    if FLOATING_FIRST:
        try:
            with np.errstate(**_FLOATING_FAILS):
                return shapely.disjoint_subset_union_all(geometries, axis=axis)
        except (GEOSException, FloatingPointError):
            pass
    # disjoint_subset_union_all has no grid_size: the grid path is the plain grid union.
    return union_all(geometries, axis=axis)
