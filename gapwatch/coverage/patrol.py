"""Video patrol options: which working cameras, or PTZ presets, see into a piece of ground."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from gapwatch.coverage import overlay
from gapwatch.coverage.types import ViewOption

if TYPE_CHECKING:
    from gapwatch.coverage.model import CoverageModel

__all__ = ["views_into"]


def views_into(
    model: CoverageModel, geometry: Any, mask: np.ndarray[Any, np.dtype[np.bool_]]
) -> list[ViewOption]:
    """Cameras in `mask` (at their current aim or at a preset) that see into `geometry`,
    the most ground first."""
    target_area = float(geometry.area)
    if target_area <= 0.0:
        return []
    options: list[ViewOption] = []
    hits = model.cameras_seeing(geometry)
    hits = hits[mask[hits]]
    if len(hits):
        seen = shapely.area(overlay.intersection(model.view_geometries[hits], geometry))
        for i, area in zip(hits, seen, strict=True):
            if area > 0.0:
                share = float(area) / target_area
                options.append(ViewOption(model.camera_ids[int(i)], None, float(area), share))
    presets, tree = model.preset_index
    if presets:
        for k in tree.query(geometry, predicate="intersects"):
            view = presets[int(k)]
            if not mask[model.position(view.camera_id)]:
                continue
            area = float(overlay.intersection(view.geometry, geometry).area)
            if area > 0.0:
                options.append(ViewOption(view.camera_id, view.preset_id, area, area / target_area))
    options.sort(key=lambda o: (-o.seen_m2, o.camera_id, o.preset_id or ""))
    return options
