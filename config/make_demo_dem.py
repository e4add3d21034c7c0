"""Write the demo site's ILLUSTRATIVE elevation model, config/demo-weiyuan-dem.tif.

    .venv/bin/python config/make_demo_dem.py

示意地形，非实测。The heights are made up from a few smooth shapes so that the demo's hills and
valleys hide ground the way real ones do: the 渭河源 (Weihe source) valley, narrow and rising
northwards to the spring, with steep sides; 首阳山 (Shouyang mountain) rising north-east of its
gate plaza, the stair path on its southern slope; the low hills around 元古堆 village; the flat
river plain of the county town. Nothing here was surveyed: do not use it for real planning.

The file has the shape of a geographic DEM: EPSG:4326, cells of 0.5″ (about 13 m × 15 m here),
float32 metres, DEFLATE-compressed with heights rounded to decimetres so it stays a few hundred
KB. Two small features sit where cameras look: a knoll on 首阳山's stair path between the midway
and upper cameras, and a rock spur at the bend of the 渭河源 trail; each hides a stretch of path
from a camera, as such ground does.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

OUT = Path(__file__).resolve().parent / "demo-weiyuan-dem.tif"
WEST, EAST, SOUTH, NORTH = 104.135, 104.320, 35.012, 35.150
CELL_DEG = 0.5 / 3600.0
LAT0 = 35.08


def _metres(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> tuple[np.ndarray, ...]:
    """Metres east and north of (lon0, lat0), on a local tangent plane."""
    east = (lon - lon0) * 111_320.0 * math.cos(math.radians(LAT0))
    north = (lat - lat0) * 110_574.0
    return east, north


def _bump(x: np.ndarray, y: np.ndarray, sx: float, sy: float) -> np.ndarray:
    result: np.ndarray = np.exp(-(x**2) / (2 * sx**2) - y**2 / (2 * sy**2))
    return result


def heights(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Illustrative ground heights (metres above sea level) at WGS84 points."""
    # A plateau falling gently from the south-west (about 2,250 m) to the north-east.
    x, y = _metres(lon, lat, 104.22, 35.08)
    z = 2150.0 - 0.006 * x - 0.006 * y

    # 渭河源: a valley running north from the gate plaza to the spring, floor rising 40 m,
    # sides 90 m high and about 120 m from the floor.
    vx, vy = _metres(lon, lat, 104.1481, 35.1050)
    floor = 2210.0 + 0.08 * np.clip(vy, -500.0, 600.0)
    bend = vx - 30.0 * np.sin(vy / 250.0)
    side = 90.0 * (1.0 - np.exp(-(bend**2) / (2 * 120.0**2)))
    valley_reach = _bump(vx, vy - 250.0, 900.0, 1200.0)
    z = z * (1.0 - valley_reach) + (floor + side) * valley_reach
    # A rock spur reaching into the valley at the trail's bend, north of pole 1.
    rx, ry = _metres(lon, lat, 104.14800, 35.10660)
    z = z + 12.0 * _bump(rx, ry, 20.0, 25.0)

    # 首阳山: the summit 250 m above the gate plaza, north-east of the viewpoint.
    sx, sy = _metres(lon, lat, 104.3075, 35.0640)
    z = z + 250.0 * _bump(sx, sy, 420.0, 520.0)
    # A knoll on the stair path between the midway and the upper cameras.
    kx, ky = _metres(lon, lat, 104.30505, 35.05955)
    z = z + 10.0 * _bump(kx, ky, 30.0, 22.0)
    # A spur the stair path climbs, and a lower shoulder west of the temple.
    z = z + 45.0 * _bump(sx + 280.0, sy + 420.0, 110.0, 220.0)
    z = z + 35.0 * _bump(sx + 520.0, sy + 150.0, 160.0, 140.0)

    # 元古堆: the village in a hollow with low hills to its north and east.
    yx, yy = _metres(lon, lat, 104.2472, 35.0259)
    z = z - 20.0 * _bump(yx, yy, 300.0, 200.0)
    z = z + 40.0 * _bump(yx - 80.0, yy - 330.0, 150.0, 110.0)
    z = z + 30.0 * _bump(yx - 420.0, yy + 30.0, 120.0, 160.0)

    # The county town: the flat Weihe plain (the plateau levelled out to 2,050 m).
    tx, ty = _metres(lon, lat, 104.2152, 35.1362)
    plain = _bump(tx, ty, 1400.0, 900.0)
    result: np.ndarray = z * (1.0 - plain) + 2050.0 * plain
    return result


def main() -> None:
    cols = round((EAST - WEST) / CELL_DEG)
    rows = round((NORTH - SOUTH) / CELL_DEG)
    lon = WEST + CELL_DEG * (np.arange(cols) + 0.5)
    lat = NORTH - CELL_DEG * (np.arange(rows) + 0.5)
    glon, glat = np.meshgrid(lon, lat)
    z = np.round(heights(glon, glat), 1).astype(np.float32)
    with rasterio.open(
        OUT,
        "w",
        driver="GTiff",
        width=cols,
        height=rows,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(WEST, NORTH, CELL_DEG, CELL_DEG),
        nodata=-9999.0,
        compress="deflate",
        predictor=3,
        zlevel=9,
        tiled=True,
    ) as out:
        out.write(z, 1)
        out.update_tags(
            NOTE="ILLUSTRATIVE, not surveyed: made-up heights for the gapwatch demo site. "
            "示意地形，非实测。",
        )
    print(f"{OUT}: {cols}x{rows} cells, {OUT.stat().st_size / 1024:.0f} KB, "
          f"{float(z.min()):.0f}-{float(z.max()):.0f} m")


if __name__ == "__main__":
    main()
