"""The audit map: a PNG of zones shaded by coverage, camera views, buildings and blind spots.

Scenic spots of a county lie kilometres apart while a blind spot is a few metres across, so
the map draws one panel per cluster of nearby zones and cameras, each at its own scale.
Rendering uses matplotlib's Agg canvas only (no display, no global pyplot state).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry.polygon import orient

__all__ = [
    "BLIND_SPOT_RGB",
    "MapCamera",
    "MapLayers",
    "MapSuggestion",
    "MapZone",
    "cjk_font_family",
    "map_panels",
    "render_audit_map",
]

Geometry = Any

BLIND_SPOT_RGB = (0.86, 0.0, 0.0)
"""Fill colour of blind spots; nothing else on the map is this red."""

_OBSTACLE_RGB = (0.45, 0.45, 0.45)
_VIEW_RGB = (0.12, 0.42, 0.85)
_DOWN_RGB = (0.25, 0.25, 0.25)
_GAP_RGB = (1.0, 0.55, 0.0)
_SUGGESTION_RGB = (0.55, 0.1, 0.75)
# Families tried in order; Debian's fonts-noto-cjk provides the first.
_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "Source Han Sans SC",
)
_CLUSTER_GAP_M = 120.0
_PANEL_PAD = 0.08


@dataclass(frozen=True)
class MapZone:
    """A zone as drawn (metric polygon) with its coverage ratio."""

    id: str
    name: str
    drawn: Geometry
    coverage_ratio: float


@dataclass(frozen=True)
class MapCamera:
    """A camera's position, its seen ground and whether it works."""

    id: str
    x: float
    y: float
    view: Geometry
    working: bool
    rank: int | None = None


@dataclass(frozen=True)
class MapLayers:
    """Everything the audit map shows, in the site's metric plane."""

    title: str
    subtitle: str
    zones: Sequence[MapZone]
    obstacles: Sequence[Geometry]
    cameras: Sequence[MapCamera]
    blind_spots: Sequence[Geometry]
    failure_gaps: Sequence[Geometry] = field(default_factory=list)
    suggestions: Sequence[MapSuggestion] = field(default_factory=list)


@dataclass(frozen=True)
class MapSuggestion:
    """A placement suggestion: where the camera stands and the ground it would see."""

    rank: int
    x: float
    y: float
    view: Geometry


def cjk_font_family() -> str | None:
    """The first installed font family that can draw Chinese, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in _CJK_FAMILIES:
        if family in installed:
            return family
    return None


def map_panels(layers: MapLayers) -> list[tuple[float, float, float, float]]:
    """Bounds (minx, miny, maxx, maxy) of each cluster of nearby zones and cameras, west first."""
    shapes = [z.drawn for z in layers.zones]
    shapes += [shapely.Point(c.x, c.y) for c in layers.cameras]
    shapes += [c.view for c in layers.cameras if not c.view.is_empty]
    if not shapes:
        return []
    merged = shapely.union_all(shapely.buffer(shapes, _CLUSTER_GAP_M / 2.0, quad_segs=2))
    boxes: list[tuple[float, float, float, float]] = []
    for part in shapely.get_parts(merged):
        inner = [s for s in shapes if s.intersects(part)]
        minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(inner))
        boxes.append((minx, miny, maxx, maxy))
    return sorted(boxes, key=lambda b: (b[0], b[1]))


def _path(geometry: Geometry) -> Any:
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


def _add(ax: Any, geometry: Geometry, **style: Any) -> None:
    from matplotlib.patches import PathPatch

    if geometry is None or geometry.is_empty:
        return
    path = _path(geometry)
    if path is not None:
        ax.add_patch(PathPatch(path, **style))


def _nice_length(span_m: float) -> float:
    """A round scale-bar length near a fifth of the panel width."""
    target = span_m / 5.0
    for length in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if length >= target:
            return float(length)
    return float(10 ** math.ceil(math.log10(target)))


def _fit(bounds: tuple[float, float, float, float], aspect: float) -> tuple[float, ...]:
    """Pad `bounds` and widen one side so the panel's width/height ratio is `aspect`."""
    minx, miny, maxx, maxy = bounds
    width = max(maxx - minx, 20.0)
    height = max(maxy - miny, 20.0)
    cx, cy = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    width *= 1 + 2 * _PANEL_PAD
    height *= 1 + 2 * _PANEL_PAD
    if width / height < aspect:
        width = height * aspect
    else:
        height = width / aspect
    return cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2


def _panel_title(zones: Sequence[MapZone], box: Any) -> str:
    inside = [z for z in zones if z.drawn.intersects(box)]
    if not inside:
        return "摄像机 cameras"
    first = max(inside, key=lambda z: z.drawn.area)
    more = len(inside) - 1
    return first.name + (f"  等 {len(inside)} 个区域 · {len(inside)} zones" if more else "")


def _wrap_bilingual(name: str) -> str:
    """'渭河源停车场 Weihe car park' → Chinese and English on two lines, so labels stay narrow."""
    seen_chinese = False
    for k, char in enumerate(name):
        if not char.isascii():
            seen_chinese = True
        elif seen_chinese and char.isalpha():
            return name[:k].rstrip() + "\n" + name[k:]
    return name


def _halo() -> list[Any]:
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2.2, foreground="white")]


def _coverage_cmap() -> Any:
    """Yellow (uncovered) to green (covered), without the palest end that vanishes on white."""
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    return ListedColormap(colormaps["YlGn"](np.linspace(0.15, 0.9, 256)), name="coverage")


def _draw_panel(ax: Any, layers: MapLayers, bounds: tuple[float, float, float, float]) -> Any:
    cmap = _coverage_cmap()
    minx, maxx, miny, maxy = _fit(bounds, aspect=1.25)
    box = shapely.box(minx, miny, maxx, maxy)
    for zone in layers.zones:
        if zone.drawn.intersects(box):
            colour = cmap(zone.coverage_ratio)
            _add(ax, zone.drawn, facecolor=colour, edgecolor=(0.1, 0.35, 0.1), lw=1.2, zorder=1)
    for cam in layers.cameras:
        if cam.view.is_empty or not cam.view.intersects(box):
            continue
        if cam.working:
            _add(
                ax,
                cam.view,
                facecolor=(*_VIEW_RGB, 0.13),
                edgecolor=(*_VIEW_RGB, 0.55),
                lw=0.6,
                zorder=2,
            )
        else:
            _add(
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
            _add(ax, gap, facecolor="none", edgecolor=_GAP_RGB, hatch="////", lw=1.0, zorder=3)
    for spot in layers.blind_spots:
        if spot.intersects(box):
            _add(
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
            _add(
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
            _add(
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
            path_effects=_halo(),
        )
    span = maxx - minx
    for zone in layers.zones:
        if zone.drawn.intersects(box):
            at = zone.drawn.representative_point()
            ax.text(
                at.x,
                at.y,
                f"{_wrap_bilingual(zone.name)} · {zone.coverage_ratio * 100:.0f} %",
                fontsize=7.5,
                ha="center",
                va="center",
                zorder=8,
                path_effects=_halo(),
            )
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
            path_effects=_halo(),
        )
    length = _nice_length(span)
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
        path_effects=_halo(),
    )
    ax.text(
        0.97,
        0.96,
        "N\n↑",
        transform=ax.transAxes,
        ha="center",
        va="top",
        fontsize=9,
        zorder=9,
        path_effects=_halo(),
    )
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(_panel_title(layers.zones, box), fontsize=10)
    return cmap


def _legend_handles() -> list[Any]:
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


@contextmanager
def _font_context() -> Iterator[None]:
    from matplotlib import rc_context

    family = cjk_font_family()
    families = [family, "DejaVu Sans"] if family is not None else ["DejaVu Sans"]
    with (
        rc_context({"axes.unicode_minus": False, "font.family": families}),
        warnings.catch_warnings(),
    ):
        # Without a CJK font the Chinese labels render as boxes; the English ones still read.
        warnings.filterwarnings("ignore", message="Glyph .* missing")
        warnings.filterwarnings("ignore", message="findfont")
        yield


def render_audit_map(layers: MapLayers, path: Path, *, dpi: int = 110) -> None:
    """Draw the audit map to a PNG file at `path`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    panels = map_panels(layers)
    count = max(1, len(panels))
    cols = 1 if count == 1 else 2 if count <= 4 else 3
    rows = math.ceil(count / cols)
    with _font_context():
        fig = Figure(figsize=(7.5 * cols + 1.2, 6.2 * rows + 1.9), dpi=dpi)
        FigureCanvasAgg(fig)
        grid = fig.add_gridspec(
            rows,
            cols,
            left=0.02,
            right=0.92,
            top=1 - 1.2 / (6.2 * rows + 1.9),
            bottom=0.75 / (6.2 * rows + 1.9),
            wspace=0.04,
            hspace=0.12,
        )
        cmap = None
        for k, bounds in enumerate(panels):
            ax = fig.add_subplot(grid[k // cols, k % cols])
            cmap = _draw_panel(ax, layers, bounds)
        if not panels:
            ax = fig.add_subplot(grid[0, 0])
            ax.text(0.5, 0.5, "无区域 no zones", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
        fig.suptitle(layers.title, fontsize=15, y=1 - 0.3 / (6.2 * rows + 1.9))
        fig.text(0.5, 1 - 0.75 / (6.2 * rows + 1.9), layers.subtitle, ha="center", fontsize=9.5)
        fig.legend(
            handles=_legend_handles(), loc="lower center", ncol=4, fontsize=8.5, frameon=False
        )
        if cmap is not None:
            bar_ax = fig.add_axes((0.935, 0.25, 0.015, 0.5))
            mappable = ScalarMappable(norm=Normalize(0, 100), cmap=cmap)
            bar = fig.colorbar(mappable, cax=bar_ax)
            bar.set_label("区域覆盖率 zone coverage %", fontsize=9)
        fig.savefig(path, format="png", dpi=dpi)
