"""The local metric projection: areas against the ellipsoid, and exact round trips."""

from __future__ import annotations

import functools

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS, Geod, Transformer

from gapwatch.site import LocalProjection

_GEOD = Geod(ellps="WGS84")
# The 渭源 county town; the county is about 50 km across.
LON0, LAT0 = 104.2155, 35.1365


def _geodesic_area(polygon: shapely.Polygon) -> float:
    area, _ = _GEOD.geometry_area_perimeter(polygon)
    return abs(float(area))


def test_area_of_a_known_box_matches_the_geodesic_area() -> None:
    projection = LocalProjection(LON0, LAT0)
    # A 1 km x 1 km-ish square 10 km from the centre, densified so its edges follow the ground.
    box = shapely.segmentize(
        shapely.box(LON0 + 0.10, LAT0 + 0.05, LON0 + 0.111, LAT0 + 0.059), 1e-4
    )
    metric = projection.project(box)
    assert abs(metric.area - _geodesic_area(box)) / _geodesic_area(box) < 0.001


def test_area_far_across_the_county_is_still_within_a_thousandth() -> None:
    projection = LocalProjection.around([(LON0 - 0.3, LAT0 - 0.2), (LON0 + 0.3, LAT0 + 0.2)])
    box = shapely.segmentize(shapely.box(LON0 + 0.25, LAT0 + 0.15, LON0 + 0.3, LAT0 + 0.2), 1e-4)
    ratio = projection.project(box).area / _geodesic_area(box)
    assert abs(ratio - 1.0) < 0.001


def test_axes_point_east_and_north() -> None:
    projection = LocalProjection(LON0, LAT0)
    x, y = projection.to_metres(LON0 + 0.01, LAT0)
    assert x > 900 and abs(y) < 10
    x, y = projection.to_metres(LON0, LAT0 + 0.01)
    assert y > 1100 and abs(x) < 1e-6


@functools.cache
def _county_projection() -> LocalProjection:
    # Built once: a projection holds pyproj transformers that take a while to create.
    return LocalProjection(LON0, LAT0)


county = st.tuples(
    st.floats(LON0 - 0.3, LON0 + 0.3, allow_nan=False),
    st.floats(LAT0 - 0.25, LAT0 + 0.25, allow_nan=False),
)


@settings(max_examples=200, deadline=None)
@given(county)
def test_round_trip_is_within_a_millimetre(point: tuple[float, float]) -> None:
    projection = _county_projection()
    x, y = projection.to_metres(*point)
    lon, lat = projection.to_lonlat(x, y)
    _, _, metres = _GEOD.inv(point[0], point[1], lon, lat)
    assert metres < 0.001


@settings(max_examples=50, deadline=None)
@given(county)
def test_geometry_round_trip_is_within_a_millimetre(point: tuple[float, float]) -> None:
    projection = _county_projection()
    shape = shapely.box(point[0], point[1], point[0] + 0.001, point[1] + 0.001)
    back = projection.unproject(projection.project(shape))
    assert shapely.hausdorff_distance(projection.project(back), projection.project(shape)) < 0.001


def test_written_out_pipelines_match_the_ones_proj_builds_from_the_crs() -> None:
    projection = LocalProjection(104.05, 35.13)
    local = CRS.from_proj4(projection.proj4)
    wgs84 = CRS.from_epsg(4326)
    forward = Transformer.from_crs(wgs84, local, always_xy=True)
    inverse = Transformer.from_crs(local, wgs84, always_xy=True)
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(103.5, 104.6, 500), rng.uniform(34.6, 35.7, 500)
    x, y = forward.transform(lon, lat)
    ours = [projection.to_metres(a, b) for a, b in zip(lon[:20], lat[:20], strict=True)]
    assert np.allclose(ours, np.column_stack([x, y])[:20], rtol=0, atol=1e-9)
    back = [projection.to_lonlat(a, b) for a, b in zip(x[:20], y[:20], strict=True)]
    assert np.allclose(back, np.column_stack(inverse.transform(x, y))[:20], rtol=0, atol=1e-12)
