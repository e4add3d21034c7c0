"""The site's terrain for the dashboard map: its DEM's hillshade as a PNG with lon/lat bounds.

Leaflet stretches an image overlay linearly between its bounds in Web Mercator, so the hillshade
is reprojected from the site's local plane to EPSG:3857 before it is encoded; it then lines up
with zones and cameras everywhere on the map, not only at the centre.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from gapwatch.api.deps import Reader, ServiceDep
from gapwatch.api.errors import NotFoundError, error_responses

__all__ = ["HillshadeOut", "router"]

router = APIRouter(prefix="/api/v1", tags=["terrain"])

# The overlay is at most this many pixels on its longer side (a few hundred KB of PNG).
_MAX_SIDE_PX = 2048


class HillshadeOut(BaseModel):
    """A hillshade image of the site's DEM and where it lies on the map."""

    bounds: tuple[tuple[float, float], tuple[float, float]] = Field(
        description="[[south, west], [north, east]] in degrees (Leaflet's LatLngBounds order)."
    )
    image: str = Field(description="The image as a data: URL (PNG with transparency).")
    width: int
    height: int
    note: str | None = Field(default=None, description="The site file's note on the DEM.")


def _render(
    elevation: Any, proj4: str
) -> tuple[bytes, tuple[float, float, float, float], int, int]:
    """PNG bytes, (west, south, east, north) degrees, width and height of the hillshade."""
    import cv2
    import numpy as np
    from pyproj import Transformer
    from rasterio.crs import CRS
    from rasterio.transform import from_origin
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    from gapwatch.coverage.hillshade import hillshade, hillshade_rgba

    rgba = hillshade_rgba(hillshade(elevation.heights, elevation.cell_m))
    rows, cols = elevation.shape
    local, mercator = CRS.from_proj4(proj4), CRS.from_epsg(3857)
    west, south, east, north = elevation.bounds
    scale = max(1.0, max(rows, cols) / _MAX_SIDE_PX)
    transform, width, height = calculate_default_transform(
        local,
        mercator,
        cols,
        rows,
        west,
        south,
        east,
        north,
        dst_width=math.ceil(cols / scale),
        dst_height=math.ceil(rows / scale),
    )
    out = np.zeros((4, height, width), dtype=np.uint8)
    reproject(
        source=np.moveaxis(rgba, -1, 0),
        destination=out,
        src_transform=from_origin(west, north, elevation.cell_m, elevation.cell_m),
        src_crs=local,
        dst_transform=transform,
        dst_crs=mercator,
        resampling=Resampling.bilinear,
    )
    mx0, my1 = transform.c, transform.f
    mx1, my0 = mx0 + transform.a * width, my1 + transform.e * height
    to_lonlat = Transformer.from_crs(mercator.to_wkt(), "EPSG:4326", always_xy=True)
    lon0, lat0 = to_lonlat.transform(mx0, my0)
    lon1, lat1 = to_lonlat.transform(mx1, my1)
    bgra = np.moveaxis(out, 0, -1)[..., [2, 1, 0, 3]]
    ok, png = cv2.imencode(".png", np.ascontiguousarray(bgra))
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 BGRA array
        raise RuntimeError("PNG encoding failed")
    return png.tobytes(), (float(lon0), float(lat0), float(lon1), float(lat1)), width, height


@router.get(
    "/terrain/hillshade", response_model=HillshadeOut, responses=error_responses(401, 403, 404, 503)
)
def terrain_hillshade(request: Request, service: ServiceDep, _who: Reader) -> HillshadeOut:
    """Hillshade of the site's DEM for the map; 404 when the site has no DEM."""
    terrain = service.coverage.obstacles.terrain
    settings = service.site.spec.terrain
    if terrain is None or settings is None:
        raise NotFoundError("the site has no DEM (terrain.dem) / 站点未配置 DEM（terrain.dem）")
    # Rendered once per loaded terrain and kept with the app: the DEM does not change while the
    # service runs.
    cached = getattr(request.app.state, "hillshade", None)
    if cached is not None and cached[0] is terrain:
        out: HillshadeOut = cached[1]
        return out
    png, (west, south, east, north), width, height = _render(
        terrain.elevation, service.site.projection.proj4
    )
    out = HillshadeOut(
        bounds=((south, west), (north, east)),
        image="data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        width=width,
        height=height,
        note=settings.note,
    )
    request.app.state.hillshade = (terrain, out)
    return out
