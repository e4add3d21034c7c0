"""Coverage answers as people and GIS tools read them: JSON, GeoJSON and a bilingual table.

Geometry leaves the engine in local metres; here it becomes RFC 7946 GeoJSON in
longitude/latitude (exterior rings counter-clockwise, holes clockwise, rings closed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from shapely.geometry import Polygon

from gapwatch.coverage.geojson import to_geojson, to_geojson_many
from gapwatch.coverage.types import BlindSpot, CoverageResult

if TYPE_CHECKING:
    from rich.console import Group
    from rich.table import Table

    from gapwatch.site import LocalProjection, Site

__all__ = [
    "AuditSummary",
    "BlindSpotReport",
    "CoverageReport",
    "CriticalZone",
    "PlacementSuggestion",
    "WorstFailure",
    "ZoneReport",
    "audit_summary_view",
    "build_coverage_report",
    "coverage_feature_collection",
    "coverage_table",
    "feature",
]

Geometry = Any  # shapely ships no type information
GeoJson = dict[str, Any]


class ZoneReport(BaseModel):
    """One zone's coverage as printed by `gapwatch coverage`."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    importance: int
    area_m2: float = Field(description="Watchable ground: the zone outside obstacles.")
    covered_m2: float
    coverage_ratio: float
    blind_m2: float
    blind_spots: int = Field(description="Blind pieces above the sliver size.")


class BlindSpotReport(BaseModel):
    """One blind spot: a connected piece of a zone no working camera sees."""

    model_config = ConfigDict(frozen=True)

    zone: str
    importance: int
    area_m2: float
    geometry: GeoJson = Field(description="RFC 7946 GeoJSON geometry in longitude/latitude.")


class CoverageReport(BaseModel):
    """The whole answer of `gapwatch coverage --format json`."""

    model_config = ConfigDict(frozen=True)

    site: str
    down: list[str] = Field(description="Cameras treated as broken.")
    cameras_total: int
    cameras_working: int
    area_m2: float
    covered_m2: float
    coverage_ratio: float
    zones: list[ZoneReport]
    blind_spots: list[BlindSpotReport]


class CriticalZone(BaseModel):
    """A zone at or above the critical importance, checked against the 100 % target."""

    id: str
    name: str
    coverage_ratio: float
    blind_m2: float


class WorstFailure(BaseModel):
    """A working camera whose single failure would open the most important blind ground."""

    camera: str
    name: str
    failure_gap_m2: float
    weighted_m2: float = Field(description="Failure gap weighted by zone importance.")
    zones: list[str]


class PlacementSuggestion(BaseModel):
    """A repair of a broken camera, a new camera position or a PTZ re-aim that would close the
    most weighted blind ground."""

    kind: str = Field(description="repair_camera, new_camera, ptz_preset or ptz_heading.")
    camera: str | None = None
    preset: str | None = None
    location: tuple[float, float] | None = Field(default=None, description="[lon, lat]")
    heading_deg: float | None = None
    gain_m2: float
    gain_weighted_m2: float


class AuditSummary(BaseModel):
    """The audit's headline figures against the national targets (summary.json)."""

    site: str
    site_name: str
    cameras_total: int
    cameras_working: int
    down: list[str]
    working_share: float = Field(description="完好率: share of working cameras.")
    working_share_target: float
    working_share_met: bool
    critical_importance: int
    critical_zones: list[CriticalZone]
    critical_coverage_ratio: float | None
    critical_coverage_target: float
    critical_coverage_met: bool
    area_m2: float
    covered_m2: float
    coverage_ratio: float
    blind_spots: int
    blind_m2: float
    worst_failures: list[WorstFailure]
    suggestions: list[PlacementSuggestion]


def feature(geometry: GeoJson, properties: dict[str, Any]) -> GeoJson:
    """One GeoJSON Feature."""
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _blind_reports(
    spots: Sequence[BlindSpot], projection: LocalProjection
) -> list[BlindSpotReport]:
    shapes = to_geojson_many([spot.geometry for spot in spots], projection)
    return [
        BlindSpotReport(
            zone=spot.zone,
            importance=spot.importance,
            area_m2=round(spot.area_m2, 2),
            geometry=shape,
        )
        for spot, shape in zip(spots, shapes, strict=True)
    ]


def build_coverage_report(
    site: Site, result: CoverageResult, *, down: Iterable[str] = ()
) -> CoverageReport:
    """Turn an engine result into the JSON shape of CONTRACTS.md (plus names and totals)."""
    spots_per_zone: dict[str, int] = {}
    for spot in result.blind_spots:
        spots_per_zone[spot.zone] = spots_per_zone.get(spot.zone, 0) + 1
    zones = [
        ZoneReport(
            id=z.id,
            name=z.name,
            importance=z.importance,
            area_m2=round(z.area_m2, 2),
            covered_m2=round(min(z.covered_m2, z.area_m2), 2),
            coverage_ratio=round(min(1.0, z.coverage_ratio), 6),
            blind_m2=round(z.blind_m2, 2),
            blind_spots=spots_per_zone.get(z.id, 0),
        )
        for z in result.zones
    ]
    return CoverageReport(
        site=site.id,
        down=sorted(set(down)),
        cameras_total=len(site.spec.cameras),
        cameras_working=len(result.healthy),
        area_m2=round(result.area_m2, 2),
        covered_m2=round(min(result.covered_m2, result.area_m2), 2),
        coverage_ratio=round(min(1.0, result.coverage_ratio), 6),
        zones=zones,
        blind_spots=_blind_reports(result.blind_spots, site.projection),
    )


def _zone_polygons(site: Site) -> dict[str, Geometry]:
    """Each zone as drawn (lon/lat), for display; coverage figures come from the engine."""
    return {z.id: Polygon(z.polygon) for z in site.spec.zones}


def coverage_feature_collection(site: Site, report: CoverageReport) -> GeoJson:
    """Zones (with their coverage) and blind spots as one FeatureCollection a GIS tool opens."""
    drawn = _zone_polygons(site)
    features: list[GeoJson] = []
    for zone in report.zones:
        polygon = drawn.get(zone.id)
        if polygon is None:
            continue
        metric = site.projection.project(polygon)
        properties = {"layer": "zone", **zone.model_dump()}
        features.append(feature(to_geojson(metric, site.projection), properties))
    for spot in report.blind_spots:
        properties = {
            "layer": "blind_spot",
            "zone": spot.zone,
            "importance": spot.importance,
            "area_m2": spot.area_m2,
        }
        features.append(feature(spot.geometry, properties))
    return {
        "type": "FeatureCollection",
        "name": f"{report.site} coverage",
        "features": features,
    }


def _percent(ratio: float) -> str:
    return f"{ratio * 100:.1f} %"


def coverage_table(report: CoverageReport, *, down_names: Sequence[str] = ()) -> Table:
    """A bilingual rich table of zone coverage, worst zones highlighted."""
    from rich.table import Table

    caption = (
        f"摄像机 cameras {report.cameras_working}/{report.cameras_total} 在线 working"
        + (
            f" · 按故障计 treated as down: {', '.join(down_names or report.down)}"
            if report.down
            else ""
        )
        + f" · 盲区 blind spots: {len(report.blind_spots)}"
    )
    table = Table(
        title=f"覆盖率 Coverage — {report.site}",
        caption=caption,
        show_footer=True,
    )
    blind_total = max(0.0, report.area_m2 - report.covered_m2)
    table.add_column("区域 Zone", footer="合计 Total", no_wrap=True)
    table.add_column("名称 Name", ratio=1, min_width=12)
    numbers = [
        ("重要度\nImp.", ""),
        ("面积\nArea m²", f"{report.area_m2:,.0f}"),
        ("已覆盖\nCovered m²", f"{report.covered_m2:,.0f}"),
        ("覆盖率\nCoverage", _percent(report.coverage_ratio)),
        ("盲区\nBlind m²", f"{blind_total:,.0f}"),
        ("盲区数\nSpots", str(len(report.blind_spots))),
    ]
    for header, footer in numbers:
        table.add_column(header, footer=footer, justify="right", no_wrap=True)
    for zone in report.zones:
        style = "bold red" if zone.coverage_ratio < 0.8 else ("yellow" if zone.blind_m2 > 0 else "")
        table.add_row(
            zone.id,
            zone.name,
            str(zone.importance),
            f"{zone.area_m2:,.0f}",
            f"{zone.covered_m2:,.0f}",
            _percent(zone.coverage_ratio),
            f"{zone.blind_m2:,.0f}",
            str(zone.blind_spots),
            style=style,
        )
    return table


def _verdict(met: bool) -> str:
    return "[green]✓ 达标 met[/green]" if met else "[bold red]✗ 未达标 below target[/bold red]"


def audit_summary_view(summary: AuditSummary) -> Group:
    """The audit summary as rich renderables: targets, worst single failures, suggestions."""
    from rich.console import Group
    from rich.table import Table

    targets = Table(
        title=f"覆盖审计 Coverage audit — {summary.site_name}",
        caption="目标取自国家公共安全视频监控建设规划：重点公共区域覆盖率 100 %，完好率 ≥ 98 %。\n"
        "Targets from China's national plan for public video surveillance: key public areas "
        "100 % covered, ≥ 98 % of cameras working.",
    )
    targets.add_column("指标 Measure")
    targets.add_column("实际 Actual", justify="right")
    targets.add_column("目标 Target", justify="right")
    targets.add_column("结论 Verdict")
    targets.add_row(
        "摄像机完好率 working cameras",
        f"{summary.cameras_working}/{summary.cameras_total} = {_percent(summary.working_share)}",
        f"≥ {_percent(summary.working_share_target)}",
        _verdict(summary.working_share_met),
    )
    if summary.critical_coverage_ratio is None:
        targets.add_row(
            f"重点区域覆盖率 critical zones (importance ≥ {summary.critical_importance})",
            "无重点区域 none",
            _percent(summary.critical_coverage_target),
            "—",
        )
    else:
        targets.add_row(
            f"重点区域覆盖率 critical zones (importance ≥ {summary.critical_importance})",
            _percent(summary.critical_coverage_ratio),
            _percent(summary.critical_coverage_target),
            _verdict(summary.critical_coverage_met),
        )
    targets.add_row(
        "总覆盖率 all zones",
        f"{_percent(summary.coverage_ratio)} ({summary.covered_m2:,.0f}/{summary.area_m2:,.0f} m²)",
        "",
        "",
    )
    targets.add_row(
        "盲区 blind spots", f"{summary.blind_spots} · {summary.blind_m2:,.0f} m²", "", ""
    )
    parts: list[Any] = [targets]
    if summary.critical_zones:
        critical = Table(title="重点区域 Critical zones")
        critical.add_column("区域 Zone")
        critical.add_column("名称 Name")
        critical.add_column("覆盖率 Coverage", justify="right")
        critical.add_column("盲区 m² Blind", justify="right")
        for zone in summary.critical_zones:
            critical.add_row(
                zone.id, zone.name, _percent(zone.coverage_ratio), f"{zone.blind_m2:,.1f}"
            )
        parts.append(critical)
    if summary.worst_failures:
        worst = Table(title="单点故障影响最大 Single failures that hurt most")
        worst.add_column("#", justify="right")
        worst.add_column("摄像机 Camera")
        worst.add_column("名称 Name")
        worst.add_column("失效盲区 m²\nFailure gap", justify="right")
        worst.add_column("加权 m²\nWeighted", justify="right")
        worst.add_column("区域 Zones")
        for rank, item in enumerate(summary.worst_failures, start=1):
            worst.add_row(
                str(rank),
                item.camera,
                item.name,
                f"{item.failure_gap_m2:,.1f}",
                f"{item.weighted_m2:,.1f}",
                ", ".join(item.zones),
            )
        parts.append(worst)
    if summary.suggestions:
        picks = Table(title="布点建议 Placement suggestions")
        picks.add_column("#", justify="right")
        picks.add_column("类型 Kind")
        picks.add_column("位置 Where")
        picks.add_column("增益 m²\nGain", justify="right")
        picks.add_column("加权增益\nWeighted gain", justify="right")
        for rank, pick in enumerate(summary.suggestions, start=1):
            picks.add_row(
                str(rank),
                _kind_label(pick.kind),
                _where(pick),
                f"{pick.gain_m2:,.1f}",
                f"{pick.gain_weighted_m2:,.1f}",
            )
        parts.append(picks)
    return Group(*parts)


def _kind_label(kind: str) -> str:
    labels = {
        "new_camera": "新增摄像机 new camera",
        "ptz_preset": "云台预置位 PTZ to preset",
        "ptz_heading": "调整云台朝向 re-aim PTZ",
    }
    return labels.get(kind, kind)


def _where(pick: PlacementSuggestion) -> str:
    if pick.camera is not None:
        return pick.camera + (f" → {pick.preset}" if pick.preset else "")
    if pick.location is not None:
        heading = f", {pick.heading_deg:.0f}°" if pick.heading_deg is not None else ""
        return f"{pick.location[0]:.6f}, {pick.location[1]:.6f}{heading}"
    return "—"
