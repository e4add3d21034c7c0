"""Drawing the audit map's layers on a matplotlib axes: shapes, labels kept apart, scale bar."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import shapely
from shapely.geometry.polygon import orient

from gapwatch.coverage import overlay

if TYPE_CHECKING:
    from gapwatch.coverage.mapplot import MapLayers
    from gapwatch.site.dem import Elevation

__all__ = [
    "BLIND_SPOT_RGB",
    "coverage_cmap",
    "draw_hillshade",
    "draw_layers",
    "halo",
    "legend_handles",
    "wrap_bilingual",
]

Geometry = Any

BLIND_SPOT_RGB = (0.86, 0.0, 0.0)
"""Fill colour of blind spots; nothing else on the map is this red."""

_OBSTACLE_RGB = (0.45, 0.45, 0.45)
_VIEW_RGB = (0.12, 0.42, 0.85)
_DOWN_RGB = (0.25, 0.25, 0.25)
_GAP_RGB = (1.0, 0.55, 0.0)
_SUGGESTION_RGB = (0.55, 0.1, 0.75)


def path_of(geometry: Geometry) -> Any:
    """A matplotlib Path of all polygon rings (holes wound the other way, so they stay open)."""
    from matplotlib.path import Path as MplPath

    paths = []
    for part in shapely.get_parts(geometry):
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        part = orient(part, 1.0)
        for ring in (part.exterior, *part.interiors):
            coords = list(ring.coords)
            codes = [MplPath.MOVETO] + [MplPath.LINETO] * (len(coords) - 2) + [MplPath.CLOSEPOLY]
            paths.append(MplPath(coords, codes))
    return MplPath.make_compound_path(*paths) if paths else None


def add_geometry(ax: Any, geometry: Geometry, **style: Any) -> None:
    from matplotlib.patches import PathPatch

    if geometry is None or geometry.is_empty:
        return
    path = path_of(geometry)
    if path is not None:
        ax.add_patch(PathPatch(path, **style))


def nice_length(span_m: float) -> float:
    """A round scale-bar length near a fifth of the panel width."""
    target = span_m / 5.0
    for length in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if length >= target:
            return float(length)
    return float(10 ** math.ceil(math.log10(target)))


def wrap_bilingual(name: str) -> str:
    """'渭河源停车场 Weihe car park' → Chinese and English on two lines, so labels stay narrow."""
    seen_chinese = False
    for k, char in enumerate(name):
        if not char.isascii():
            seen_chinese = True
        elif seen_chinese and char.isalpha():
            return name[:k].rstrip() + "\n" + name[k:]
    return name


# Label offsets tried in turn (points): in place, then above, below, right and left, farther out.
_LABEL_OFFSETS = [(0, 0)] + [
    (dx * k, dy * k) for k in (1, 2, 3) for dx, dy in ((0, 22), (0, -22), (70, 0), (-70, 0))
]


def place_labels(
    ax: Any,
    labels: list[tuple[float, float, str]],
    avoid: Sequence[tuple[float, float, float, float]] = (),
    keep_clear: tuple[float, float, float, float] | None = None,
) -> None:
    """Write labels at their points, moving one (with a leader line) where it would overlap
    another label, cover one of the `avoid` boxes (minx, miny, maxx, maxy, data units) or the
    `keep_clear` rectangle (x, y, width, height in axes fractions), or leave the axes."""
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

    renderer = ax.figure.canvas.get_renderer()
    ax.apply_aspect()
    taken: list[Any] = [
        Bbox([[x0, y0], [x1, y1]]).transformed(ax.transData) for x0, y0, x1, y1 in avoid
    ]
    if keep_clear is not None:
        x, y, w, h = keep_clear
        taken.append(Bbox([[x, y], [x + w, y + h]]).transformed(ax.transAxes))
    frame = ax.bbox
    for x, y, text in labels:
        chosen = None
        for offset in _LABEL_OFFSETS:
            moved = offset != (0, 0)
            label = ax.annotate(
                text,
                (x, y),
                xytext=offset,
                textcoords="offset points",
                fontsize=7.5,
                ha="center",
                va="center",
                zorder=8,
                path_effects=halo(),
                arrowprops={"arrowstyle": "-", "color": "0.3", "lw": 0.6} if moved else None,
            )
            # The text's own box: Annotation's extent would include the leader line.
            label.update_positions(renderer)
            extent = Text.get_window_extent(label, renderer).expanded(1.05, 1.1)
            inside = (
                extent.x0 >= frame.x0
                and extent.x1 <= frame.x1
                and extent.y0 >= frame.y0
                and extent.y1 <= frame.y1
            )
            if inside and not any(extent.overlaps(other) for other in taken):
                chosen = label
                taken.append(extent)
                break
            label.remove()
        if chosen is None:
            ax.annotate(
                text, (x, y), fontsize=7.5, ha="center", va="center", zorder=8, path_effects=halo()
            )


def halo() -> list[Any]:
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2.2, foreground="white")]


def coverage_cmap() -> Any:
    """Yellow (uncovered) to green (covered), without the palest end that vanishes on white."""
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    return ListedColormap(colormaps["YlGn"](np.linspace(0.15, 0.9, 256)), name="coverage")


def draw_layers(
    ax: Any,
    layers: MapLayers,
    limits: tuple[float, float, float, float],
    keep_clear: tuple[float, float, float, float] | None = None,
) -> None:
    """Draw every layer that falls inside `limits` (minx, maxx, miny, maxy) with a scale bar;
    zone labels stay out of `keep_clear` (axes fractions), where an inset will go."""
    cmap = coverage_cmap()
    minx, maxx, miny, maxy = limits
    box = shapely.box(minx, miny, maxx, maxy)
    if layers.terrain is not None:  # hook: the site's DEM as hillshade under every layer
        draw_hillshade(ax, layers.terrain, limits)
    for zone in layers.zones:
        if zone.drawn.intersects(box):
            colour = cmap(zone.coverage_ratio)
            add_geometry(
                ax, zone.drawn, facecolor=colour, edgecolor=(0.1, 0.35, 0.1), lw=1.2, zorder=1
            )
    for cam in layers.cameras:
        if cam.view.is_empty or not cam.view.intersects(box):
            continue
        if cam.working:
            add_geometry(
                ax,
                cam.view,
                facecolor=(*_VIEW_RGB, 0.13),
                edgecolor=(*_VIEW_RGB, 0.55),
                lw=0.6,
                zorder=2,
            )
        else:
            add_geometry(
                ax,
                cam.view,
                facecolor="none",
                edgecolor=(*_DOWN_RGB, 0.8),
                lw=0.8,
                linestyle="--",
                hatch="..",
                zorder=2,
            )
    for gap in layers.failure_gaps:
        if gap.intersects(box):
            add_geometry(
                ax, gap, facecolor="none", edgecolor=_GAP_RGB, hatch="////", lw=1.0, zorder=3
            )
    for spot in layers.blind_spots:
        if spot.intersects(box):
            add_geometry(
                ax,
                spot,
                facecolor=BLIND_SPOT_RGB,
                edgecolor=(0.5, 0.0, 0.0),
                lw=0.6,
                alpha=0.9,
                zorder=4,
            )
    for obstacle in layers.obstacles:
        if obstacle.intersects(box):
            add_geometry(
                ax,
                obstacle,
                facecolor=_OBSTACLE_RGB,
                edgecolor=(0.25, 0.25, 0.25),
                lw=0.5,
                zorder=5,
            )
    for pick in layers.suggestions:
        if not box.contains(shapely.Point(pick.x, pick.y)):
            continue
        if pick.view is not None and not pick.view.is_empty:
            add_geometry(
                ax,
                pick.view,
                facecolor="none",
                edgecolor=_SUGGESTION_RGB,
                lw=1.3,
                linestyle=(0, (4, 2)),
                zorder=6,
            )
        ax.plot(pick.x, pick.y, "*", ms=13, color=_SUGGESTION_RGB, mec="white", mew=0.8, zorder=7)
        ax.annotate(
            f"建议 {pick.rank}",
            (pick.x, pick.y),
            xytext=(5, -10),
            textcoords="offset points",
            fontsize=7,
            color=_SUGGESTION_RGB,
            fontweight="bold",
            zorder=8,
            path_effects=halo(),
        )
    span = maxx - minx
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal")
    nearby = [o for o in layers.obstacles if o.intersects(box)]
    walls = overlay.union_all(nearby) if nearby else None
    labels = []
    for zone in sorted(layers.zones, key=lambda z: -z.drawn.area):
        if not zone.drawn.intersects(box):
            continue
        ground = zone.drawn if walls is None else overlay.difference(zone.drawn, walls)
        anchor = (ground if not ground.is_empty else zone.drawn).representative_point()
        text = f"{wrap_bilingual(zone.name)} · {zone.coverage_ratio:.0%}"
        labels.append((anchor.x, anchor.y, text))
    # Keep zone labels off small buildings (large ones could never be avoided).
    small = [o.bounds for o in nearby if o.area < 2000.0]
    place_labels(ax, labels, avoid=small, keep_clear=keep_clear)
    for cam in layers.cameras:
        if not box.contains(shapely.Point(cam.x, cam.y)):
            continue
        if cam.working:
            ax.plot(cam.x, cam.y, "o", ms=4, color=_VIEW_RGB, mec="white", mew=0.6, zorder=7)
        else:
            ax.plot(cam.x, cam.y, "X", ms=8, color="black", mec="white", mew=0.8, zorder=7)
        label = cam.id + ("" if cam.working else " ✗")
        ax.annotate(
            label,
            (cam.x, cam.y),
            xytext=(3, 3),
            textcoords="offset points",
            fontsize=6 if cam.working else 7,
            # Dark, not red: red on this map means blind ground only.
            color="black" if cam.working else (0.35, 0.0, 0.45),
            fontweight="normal" if cam.working else "bold",
            zorder=8,
            path_effects=halo(),
        )
    length = nice_length(span)
    x0, y0 = minx + span * 0.04, miny + (maxy - miny) * 0.05
    ax.plot([x0, x0 + length], [y0, y0], color="black", lw=2.5, solid_capstyle="butt", zorder=9)
    ax.text(
        x0 + length / 2,
        y0 + (maxy - miny) * 0.015,
        f"{length:g} m",
        ha="center",
        va="bottom",
        fontsize=7,
        zorder=9,
        path_effects=halo(),
    )


def legend_handles() -> list[Any]:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    return [
        Patch(facecolor=BLIND_SPOT_RGB, edgecolor=(0.5, 0, 0), label="盲区 blind spot"),
        Patch(facecolor=(*_VIEW_RGB, 0.13), edgecolor=_VIEW_RGB, label="摄像机视野 camera view"),
        Patch(
            facecolor="none",
            edgecolor=_DOWN_RGB,
            hatch="..",
            linestyle="--",
            label="故障摄像机视野 view of a camera down",
        ),
        Patch(
            facecolor="none",
            edgecolor=_GAP_RGB,
            hatch="////",
            label="单点失效盲区 failure gap (top 5)",
        ),
        Patch(facecolor=_OBSTACLE_RGB, label="建筑/障碍物 building"),
        Line2D([], [], marker="o", ls="", color=_VIEW_RGB, label="摄像机 camera"),
        Line2D([], [], marker="X", ls="", color="black", ms=8, label="故障 camera down"),
        Line2D(
            [],
            [],
            marker="*",
            ls="--",
            color=_SUGGESTION_RGB,
            ms=11,
            label="布点建议 suggested camera",
        ),
    ]


def draw_hillshade(
    ax: Any, elevation: Elevation, limits: tuple[float, float, float, float]
) -> None:
    """The DEM's hillshade over `limits` (minx, maxx, miny, maxy), beneath every other layer."""
    import numpy as np

    from gapwatch.coverage.hillshade import hillshade, hillshade_rgba

    minx, maxx, miny, maxy = limits
    rows, cols = elevation.shape
    cell = elevation.cell_m
    # The cells under the panel, one more on each side so the 3x3 window has neighbours.
    j0 = max(0, math.floor((minx - elevation.west) / cell) - 1)
    j1 = min(cols, math.ceil((maxx - elevation.west) / cell) + 1)
    i0 = max(0, math.floor((elevation.north - maxy) / cell) - 1)
    i1 = min(rows, math.ceil((elevation.north - miny) / cell) + 1)
    if j1 - j0 < 2 or i1 - i0 < 2:
        return
    shade = hillshade(np.asarray(elevation.heights[i0:i1, j0:j1]), cell)
    extent = (
        elevation.west + j0 * cell,
        elevation.west + j1 * cell,
        elevation.north - i1 * cell,
        elevation.north - i0 * cell,
    )
    ax.imshow(
        hillshade_rgba(shade, strength=0.6),
        extent=extent,
        origin="upper",
        interpolation="bilinear",
        zorder=0,
    )
