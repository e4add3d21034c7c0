"""Hillshade of a DEM: how lit each cell is under a sun in the north-west, for maps.

Horn's (1981) slope and aspect over a 3×3 window with the sun at azimuth 315°, altitude 45°:
the formula and defaults of GDAL's `gdaldem hillshade`, so maps look like the ones GIS users know.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["hillshade", "hillshade_rgba"]

FloatArray = np.ndarray[Any, np.dtype[np.float32]]


def hillshade(
    heights: np.ndarray[Any, Any],
    cell_m: float,
    *,
    azimuth_deg: float = 315.0,
    altitude_deg: float = 45.0,
    z_factor: float = 1.0,
) -> FloatArray:
    """Illumination 0 (in shade) .. 1 (facing the sun) per cell; row 0 is the north edge."""
    z = np.pad(np.asarray(heights, dtype=np.float64), 1, mode="edge")
    # Horn's weighted differences; x grows east (columns), y grows north (up the rows).
    a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
    d, f = z[1:-1, :-2], z[1:-1, 2:]
    g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
    dz_dx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * cell_m) * z_factor
    dz_dy = ((a + 2 * b + c) - (g + 2 * h + i)) / (8.0 * cell_m) * z_factor
    slope = np.arctan(np.hypot(dz_dx, dz_dy))
    # Downslope direction as a compass bearing (clockwise from north).
    aspect = np.arctan2(-dz_dx, -dz_dy)
    zenith = math.radians(90.0 - altitude_deg)
    sun = math.radians(azimuth_deg)
    lit = math.cos(zenith) * np.cos(slope) + math.sin(zenith) * np.sin(slope) * np.cos(sun - aspect)
    out: FloatArray = np.clip(lit, 0.0, 1.0).astype(np.float32)
    return out


def hillshade_rgba(shade: np.ndarray[Any, Any], *, strength: float = 0.75) -> np.ndarray[Any, Any]:
    """A grey RGBA overlay of `shade`: flat ground almost clear, shaded slopes dark, lit slopes
    light, so it reads over a map or a plain background alike."""
    flat = math.cos(math.radians(45.0))
    relief = np.asarray(shade, dtype=np.float64) - flat
    grey = np.where(relief < 0.0, 40.0, 255.0)
    alpha = np.clip(np.abs(relief) / flat, 0.0, 1.0) * 255.0 * strength
    rgba = np.empty((*relief.shape, 4), dtype=np.uint8)
    rgba[..., 0] = rgba[..., 1] = rgba[..., 2] = grey.astype(np.uint8)
    rgba[..., 3] = alpha.astype(np.uint8)
    return rgba
