"""Where a pixel lands on flat ground, and how tall a person standing there looks.

A camera's pose comes from the site file (position, heading, mount height, tilt, fields of
view). With it a person's feet in the picture become a point on the ground, and the picture
height of a 1.7 m person is known at every row — the scale that turns foreground area into a
head count, for any tilt from a low oblique view to a camera looking straight down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["PERSON_HEIGHT_M", "CameraPose"]

PERSON_HEIGHT_M = 1.7  # an adult standing; the scale only needs to be right to ±15 %

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CameraPose:
    """A camera in local metres (x east, y north) with its optics; the picture is width × height."""

    x: float
    y: float
    height_m: float
    heading_deg: float
    tilt_deg: float
    hfov_deg: float
    width: int
    height: int
    vfov_deg: float | None = None

    def __post_init__(self) -> None:
        if not self.height_m > 0:
            raise ValueError("a camera pose needs a positive mount height")
        if not 0 < self.hfov_deg < 180:
            raise ValueError("people can only be placed on the ground through a lens under 180°")
        if self.width <= 0 or self.height <= 0:
            raise ValueError("picture size must be positive")

    @property
    def focal_px(self) -> tuple[float, float]:
        """Focal lengths in pixels (horizontal, vertical); square pixels when vfov is unknown."""
        fx = (self.width / 2.0) / math.tan(math.radians(self.hfov_deg) / 2.0)
        if self.vfov_deg is None:
            return fx, fx
        return fx, (self.height / 2.0) / math.tan(math.radians(self.vfov_deg) / 2.0)

    def _axes(self) -> tuple[F64, F64, F64]:
        h = math.radians(self.heading_deg)
        t = math.radians(self.tilt_deg)
        fwd = np.array([math.sin(h), math.cos(h), 0.0])
        right = np.array([math.cos(h), -math.sin(h), 0.0])
        up = np.array([0.0, 0.0, 1.0])
        axis = math.cos(t) * fwd - math.sin(t) * up
        down = -(math.sin(t) * fwd + math.cos(t) * up)
        return axis, right, down

    def ground_points(self, u: npt.ArrayLike, v: npt.ArrayLike) -> F64:
        """Pixels (u right, v down) → ground points (n × 2, metres); NaN above the horizon."""
        uu = np.atleast_1d(np.asarray(u, dtype=np.float64))
        vv = np.atleast_1d(np.asarray(v, dtype=np.float64))
        fx, fy = self.focal_px
        axis, right, down = self._axes()
        xn = (uu - self.width / 2.0) / fx
        yn = (vv - self.height / 2.0) / fy
        rays = axis[None, :] + xn[:, None] * right[None, :] + yn[:, None] * down[None, :]
        dz = rays[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.where(dz < -1e-9, self.height_m / -dz, np.nan)
        out = np.empty((uu.size, 2))
        out[:, 0] = self.x + s * rays[:, 0]
        out[:, 1] = self.y + s * rays[:, 1]
        return out

    def pixels(self, points: F64) -> F64:
        """Points (n × 3: x, y, z metres) → pixels (n × 2); NaN behind the camera."""
        fx, fy = self.focal_px
        axis, right, down = self._axes()
        rel = np.asarray(points, dtype=np.float64) - np.array([self.x, self.y, self.height_m])
        depth = rel @ axis
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.where(depth > 1e-9, self.width / 2.0 + fx * (rel @ right) / depth, np.nan)
            v = np.where(depth > 1e-9, self.height / 2.0 + fy * (rel @ down) / depth, np.nan)
        return np.stack([u, v], axis=1)

    def person_heights(self, rows: int | None = None) -> F64:
        """Picture height (px) of a standing person whose feet are on each row (centre column).

        Rows above the horizon, where no ground is, get NaN. `rows` resamples the picture to
        that many rows (the analysis size) and the heights scale with it.
        """
        n = self.height if rows is None else rows
        scale = n / self.height
        v = (np.arange(n, dtype=np.float64) + 0.5) / scale
        feet = self.ground_points(np.full(n, self.width / 2.0), v)
        heads = np.column_stack([feet, np.full(n, PERSON_HEIGHT_M)])
        head_v = self.pixels(heads)[:, 1]
        return np.asarray((v - head_v) * scale, dtype=np.float64)
