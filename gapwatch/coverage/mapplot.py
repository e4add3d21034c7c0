"""The audit map: a PNG of zones shaded by coverage, camera views, buildings and blind spots.

Scenic spots of a county lie kilometres apart while a blind spot is a few metres across, so
the map draws one panel per cluster of nearby zones and cameras, each at its own scale.
Rendering uses matplotlib's Agg canvas only (no display, no global pyplot state).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shapely

from gapwatch.coverage import overlay
from gapwatch.coverage.mapdraw import BLIND_SPOT_RGB, coverage_cmap, draw_layers, legend_handles

if TYPE_CHECKING:
    from gapwatch.site.dem import Elevation

__all__ = [
    "BLIND_SPOT_RGB",
    "MapCamera",
    "MapLayers",
    "MapSuggestion",
    "MapZone",
    "MissingFontError",
    "cjk_font_family",
    "map_panels",
    "render_audit_map",
    "require_cjk_font",
]

Geometry = Any

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
_PANEL_ASPECT = 1.25
# A close-up is drawn when the most important zones span less than 1/_DETAIL_RATIO of a panel.
_DETAIL_RATIO = 6.0
_INSET_SHARE = 0.48
# How the audit joins the figures of its subtitle (see audit._subtitle).
_SUBTITLE_SEP = "   ·   "


@dataclass(frozen=True)
class MapZone:
    """A zone as drawn (metric polygon) with its coverage ratio."""

    id: str
    name: str
    drawn: Geometry
    coverage_ratio: float
    importance: int = 1


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
    terrain: Elevation | None = None
    """The site's DEM (local metres), drawn as hillshade under the layers."""


@dataclass(frozen=True)
class MapSuggestion:
    """A placement suggestion: where the camera stands and the ground it would see."""

    rank: int
    x: float
    y: float
    view: Geometry


class MissingFontError(RuntimeError):
    """No font that draws Chinese: the map would show boxes for every Chinese label."""


CJK_FONT_ENV = "GAPWATCH_CJK_FONT"
MISSING_FONT_MESSAGE = (
    "the audit map needs a font that draws Chinese: install Debian's fonts-noto-cjk "
    "(apt-get install fonts-noto-cjk) or set GAPWATCH_CJK_FONT to an OTF/TTF/TTC file ｜ "
    "审计地图需要中文字体：请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk），"
    "或将 GAPWATCH_CJK_FONT 设为字体文件路径"
)


def _fontconfig_cjk_files() -> list[str]:
    """Files fontconfig knows that cover Simplified Chinese (empty without fontconfig)."""
    import shutil
    import subprocess

    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        listed = subprocess.run(
            [fc_list, ":lang=zh-cn", "file"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = [line.strip().rstrip(":") for line in listed.splitlines() if line.strip()]
    # Sans first: the map's labels are small.
    return sorted(files, key=lambda f: ("Sans" not in f, "Mono" in f, f))


def _family_of(path: str) -> str | None:
    """Register a font file with matplotlib; its family name, or None if it cannot be read."""
    from matplotlib import font_manager

    try:
        font_manager.fontManager.addfont(path)
        return str(font_manager.FontProperties(fname=path).get_name())
    except (OSError, RuntimeError, ValueError):
        return None


def cjk_font_family() -> str | None:
    """A font family that can draw Chinese, or None: the file named by GAPWATCH_CJK_FONT, else
    an installed family matplotlib knows, else one fontconfig knows (fonts installed after
    matplotlib built its font cache)."""
    import os

    from matplotlib import font_manager

    chosen = os.environ.get(CJK_FONT_ENV)
    if chosen:
        return _family_of(chosen)
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in _CJK_FAMILIES:
        if family in installed:
            return family
    for path in _fontconfig_cjk_files():
        found = _family_of(path)
        if found is not None:
            return found
    return None


def require_cjk_font() -> str:
    """The family the map's Chinese labels are drawn with; MissingFontError when there is none."""
    family = cjk_font_family()
    if family is None:
        raise MissingFontError(MISSING_FONT_MESSAGE)
    return family


def map_panels(layers: MapLayers) -> list[tuple[float, float, float, float]]:
    """Bounds (minx, miny, maxx, maxy) of each cluster of nearby zones and cameras, west first."""
    shapes = [z.drawn for z in layers.zones]
    shapes += [shapely.Point(c.x, c.y) for c in layers.cameras]
    shapes += [c.view for c in layers.cameras if not c.view.is_empty]
    if not shapes:
        return []
    merged = overlay.union_all(shapely.buffer(shapes, _CLUSTER_GAP_M / 2.0, quad_segs=2))
    boxes: list[tuple[float, float, float, float]] = []
    for part in shapely.get_parts(merged):
        inner = [s for s in shapes if s.intersects(part)]
        minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(inner))
        boxes.append((minx, miny, maxx, maxy))
    return sorted(boxes, key=lambda b: (b[0], b[1]))


def _fit(
    bounds: tuple[float, float, float, float], aspect: float, pad: float = _PANEL_PAD
) -> tuple[float, float, float, float]:
    """Pad `bounds` and widen one side so the panel's width/height ratio is `aspect`."""
    minx, miny, maxx, maxy = bounds
    width = max(maxx - minx, 20.0)
    height = max(maxy - miny, 20.0)
    cx, cy = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    width *= 1 + 2 * pad
    height *= 1 + 2 * pad
    if width / height < aspect:
        width = height * aspect
    else:
        height = width / aspect
    return cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2


def _detail_limits(
    zones: Sequence[MapZone], limits: tuple[float, float, float, float], aspect: float
) -> tuple[float, float, float, float] | None:
    """A close-up around the panel's most important zones when they are too small to read."""
    minx, maxx, miny, maxy = limits
    box = shapely.box(minx, miny, maxx, maxy)
    inside = [z for z in zones if z.drawn.intersects(box)]
    if not inside:
        return None
    top = max(z.importance for z in inside)
    focus = overlay.union_all([z.drawn for z in inside if z.importance == top])
    fx0, fy0, fx1, fy1 = focus.bounds
    extent = max(fx1 - fx0, fy1 - fy0)
    if extent * _DETAIL_RATIO > max(maxx - minx, maxy - miny):
        return None
    return _fit((fx0, fy0, fx1, fy1), aspect, pad=0.35)


def _emptiest_corner(
    layers: MapLayers, limits: tuple[float, float, float, float], share: float
) -> int:
    """Which corner (0 NW, 1 NE, 2 SW, 3 SE) of the panel an inset hides least in."""
    minx, maxx, miny, maxy = limits
    width, height = (maxx - minx) * share, (maxy - miny) * share
    drawn = overlay.union_all(
        [z.drawn for z in layers.zones] + [c.view for c in layers.cameras if not c.view.is_empty]
    )
    corners = [
        shapely.box(minx, maxy - height, minx + width, maxy),
        shapely.box(maxx - width, maxy - height, maxx, maxy),
        shapely.box(minx, miny, minx + width, miny + height),
        shapely.box(maxx - width, miny, maxx, miny + height),
    ]
    hidden = [float(overlay.intersection(drawn, c).area) for c in corners]
    return hidden.index(min(hidden))


def _draw_panel(ax: Any, layers: MapLayers, bounds: tuple[float, float, float, float]) -> None:
    limits = _fit(bounds, aspect=_PANEL_ASPECT)
    minx, maxx, miny, maxy = limits
    detail = _detail_limits(layers.zones, limits, _PANEL_ASPECT)
    inset_rect = None
    if detail is not None:
        corner = _emptiest_corner(layers, limits, _INSET_SHARE)
        x0 = 0.01 if corner in (0, 2) else 1 - _INSET_SHARE - 0.01
        y0 = 0.01 if corner in (2, 3) else 1 - _INSET_SHARE - 0.01
        inset_rect = (x0, y0, _INSET_SHARE, _INSET_SHARE)
    draw_layers(ax, layers, limits, keep_clear=inset_rect)
    ax.text(0.97, 0.96, "N\n↑", transform=ax.transAxes, ha="center", va="top", fontsize=9, zorder=9)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(_panel_title(layers.zones, shapely.box(minx, miny, maxx, maxy)), fontsize=10)
    if detail is None or inset_rect is None:
        return
    inset = ax.inset_axes(inset_rect)
    draw_layers(inset, layers, detail)
    inset.set_xticks([])
    inset.set_yticks([])
    inset.text(
        0.5,
        0.985,
        "局部放大 close-up",
        transform=inset.transAxes,
        ha="center",
        va="top",
        fontsize=8,
        zorder=10,
        bbox={"facecolor": "white", "edgecolor": "0.2", "linewidth": 0.6, "pad": 2},
    )
    for spine in inset.spines.values():
        spine.set_edgecolor("0.2")
        spine.set_linewidth(1.2)
    ax.indicate_inset_zoom(inset, edgecolor="0.2")


def _panel_title(zones: Sequence[MapZone], box: Any) -> str:
    inside = [z for z in zones if z.drawn.intersects(box)]
    if not inside:
        return "摄像机 cameras"
    first = max(inside, key=lambda z: z.drawn.area)
    more = len(inside) - 1
    return first.name + (f"  等 {len(inside)} 个区域 · {len(inside)} zones" if more else "")


@contextmanager
def _font_context() -> Iterator[None]:
    from matplotlib import rc_context

    # A map of boxes would pass for a finished audit: refuse instead, naming what to install.
    family = require_cjk_font()
    with rc_context({"axes.unicode_minus": False, "font.family": [family, "DejaVu Sans"]}):
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
    subtitle = layers.subtitle
    if cols == 1:
        # One panel is too narrow for the whole line of figures: break it in the middle.
        parts = subtitle.split(_SUBTITLE_SEP)
        half = math.ceil(len(parts) / 2)
        subtitle = _SUBTITLE_SEP.join(parts[:half]) + "\n" + _SUBTITLE_SEP.join(parts[half:])
    header = 1.2 + 0.2 * subtitle.count("\n")
    footer = 0.75
    width, height = 7.5 * cols + 1.4, 6.2 * rows + header + footer
    with _font_context():
        fig = Figure(figsize=(width, height), dpi=dpi)
        FigureCanvasAgg(fig)
        grid = fig.add_gridspec(
            rows,
            cols,
            left=0.15 / width,
            right=1 - 1.4 / width,
            top=1 - header / height,
            bottom=footer / height,
            wspace=0.04,
            hspace=0.12,
        )
        for k, bounds in enumerate(panels):
            ax = fig.add_subplot(grid[k // cols, k % cols])
            _draw_panel(ax, layers, bounds)
        if not panels:
            ax = fig.add_subplot(grid[0, 0])
            ax.text(0.5, 0.5, "无区域 no zones", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
        fig.suptitle(layers.title, fontsize=15, y=1 - 0.3 / height)
        fig.text(0.5, 1 - 0.65 / height, subtitle, ha="center", va="top", fontsize=9.5)
        fig.legend(
            handles=legend_handles(), loc="lower center", ncol=4, fontsize=8.5, frameon=False
        )
        if panels:
            bar_ax = fig.add_axes((1 - 1.15 / width, 0.25, 0.16 / width, 0.5))
            mappable = ScalarMappable(norm=Normalize(0, 100), cmap=coverage_cmap())
            bar = fig.colorbar(mappable, cax=bar_ax)
            bar.set_label("区域覆盖率 zone coverage %", fontsize=9)
        fig.savefig(path, format="png", dpi=dpi)
