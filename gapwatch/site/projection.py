"""A local metric projection chosen from the site's position, so areas come out in m²."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import shapely
from pyproj import Transformer

__all__ = ["LocalProjection"]


@dataclass(frozen=True)
class LocalProjection:
    """Azimuthal equidistant projection centred on the site: x east, y north, metres.

    Within a county (tens of km) its scale error is far below 0.1 %, unlike a UTM zone edge or
    plain degrees.
    """

    lon0: float
    lat0: float
    _forward: Transformer = field(init=False, repr=False, compare=False)
    _inverse: Transformer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The pipelines PROJ itself builds from EPSG:4326 to this projection (and back), written
        # out: building them from the two CRSs looks both up in PROJ's database, ~50 ms each.
        aeqd = f"proj=aeqd lat_0={self.lat0} lon_0={self.lon0} x_0=0 y_0=0 ellps=WGS84"
        degrees = "proj=unitconvert xy_in=deg xy_out=rad"
        radians = "proj=unitconvert xy_in=rad xy_out=deg"
        forward = Transformer.from_pipeline(f"proj=pipeline step {degrees} step {aeqd}")
        inverse = Transformer.from_pipeline(f"proj=pipeline step inv {aeqd} step {radians}")
        object.__setattr__(self, "_forward", forward)
        object.__setattr__(self, "_inverse", inverse)

    @property
    def proj4(self) -> str:
        """The projection as a PROJ string (for GDAL/rasterio, which reproject DEMs into it)."""
        return (
            f"+proj=aeqd +lat_0={self.lat0} +lon_0={self.lon0} +x_0=0 +y_0=0 +ellps=WGS84 +units=m"
        )

    @classmethod
    def around(cls, points: Iterable[tuple[float, float]]) -> LocalProjection:
        """Centre a projection on the bounding box of `points` ([lon, lat])."""
        pts = list(points)
        if not pts:
            raise ValueError("a projection needs at least one point")
        lons = [p[0] for p in pts]
        lats = [p[1] for p in pts]
        return cls((min(lons) + max(lons)) / 2.0, (min(lats) + max(lats)) / 2.0)

    def to_metres(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = self._forward.transform(lon, lat)
        return float(x), float(y)

    def to_lonlat(self, x: float, y: float) -> tuple[float, float]:
        lon, lat = self._inverse.transform(x, y)
        return float(lon), float(lat)

    def project(self, geometry: Any) -> Any:
        """A shapely geometry in lon/lat → the same geometry in local metres."""
        return shapely.transform(geometry, self._forward_xy)

    def unproject(self, geometry: Any) -> Any:
        """A shapely geometry in local metres → lon/lat."""
        return shapely.transform(geometry, self._inverse_xy)

    def _forward_xy(self, coords: Any) -> Any:
        import numpy as np

        x, y = self._forward.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def _inverse_xy(self, coords: Any) -> Any:
        import numpy as np

        x, y = self._inverse.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])
