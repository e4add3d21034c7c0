"""Overlays that never raise: the floating overlay's failures are redone on the 1 mm grid."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.errors import GEOSException

from gapwatch.coverage import overlay

# From a town rotated 30° with cameras at building corners (issue 9): a zone clipped to a
# camera view's box by clip_by_rect (which may return invalid output) and the view. Their
# intersection raised "TopologyException: side location conflict" inside failure_gaps.
CLIPPED_ZONE = (
    "0106000000020000000103000000010000000400000013D0C82EF36D50C06E9086D03A1D71408FB8E60B5768"
    "4EC00DA6ECEA5B9570408FB8E60B57684EC0E4330F1D854A714013D0C82EF36D50C06E9086D03A1D71400103"
    "0000000100000006000000742843554CE950C00DA6ECEA5B957040742843554CE950C020455D942DC471400C"
    "7D5744DFE54FC053B120C3BCE771408FB8E60B57684EC053B120C3BCE771408FB8E60B57684EC00DA6ECEA5B"
    "957040742843554CE950C00DA6ECEA5B957040"
)
VIEW = (
    "01030000000100000006000000E2574704053C4FC053B120C3BCE77140EAC315663F0B4FC0FBE6F03CFDE571"
    "4013D0C82EF36D50C06E9086D03A1D71408FB8E60B57684EC00DA6ECEA5B957040742843554CE950C0DCD957"
    "1EA4B27040E2574704053C4FC053B120C3BCE77140"
)


def test_the_clipped_zone_that_broke_failure_gaps_now_intersects() -> None:
    local, view = shapely.from_wkb(CLIPPED_ZONE), shapely.from_wkb(VIEW)
    assert not local.is_valid
    with pytest.raises(GEOSException):
        shapely.intersection(local, view)
    ground = overlay.intersection(local, view)
    assert ground.is_valid and ground.area > 0.0
    assert ground.area <= view.area + 1e-6
    assert ground.difference(view.buffer(0.01)).area <= 1e-6


def test_vectorised_calls_fall_back_element_by_element() -> None:
    local, view = shapely.from_wkb(CLIPPED_ZONE), shapely.from_wkb(VIEW)
    square = shapely.box(0, 0, 1, 1)
    got = overlay.intersection(np.array([square, local], dtype=object), np.array([square, view]))
    assert got[0].equals(square)
    assert got[1].area == pytest.approx(overlay.intersection(local, view).area)


def test_grid_path_takes_mixed_dimension_collections() -> None:
    mixed = shapely.GeometryCollection(
        [shapely.box(0, 0, 2, 2), shapely.LineString([(5, 5), (6, 6)]), shapely.Point(9, 9)]
    )
    with pytest.raises(GEOSException):
        shapely.intersection(mixed, shapely.box(1, 1, 3, 3), grid_size=overlay.GRID_M)
    for op in (overlay.intersection, overlay.difference, overlay.union):
        out = overlay._robust(
            getattr(shapely, op.__name__), op.__name__, mixed, shapely.box(1, 1, 3, 3), grid=True
        )
        assert out.is_valid
    assert overlay.union_all([mixed, shapely.box(1, 1, 3, 3)]).area == pytest.approx(7.0)


def test_a_bow_tie_is_repaired_before_the_grid_overlay() -> None:
    bow = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    fixed = overlay.repaired(bow)
    assert fixed.is_valid and fixed.area == pytest.approx(2.0)
    assert overlay.on_grid(bow).is_valid
