"""The coverage audit: blind spots, single failures that hurt most and national targets.

`run_audit` computes; `write_audit` writes the technician's folder of GeoJSON layers, CSV
tables, a PNG map and a summary.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shapely.geometry import Point, Polygon

from gapwatch.coverage import overlay
from gapwatch.coverage.geojson import to_geojson
from gapwatch.coverage.report import (
    AuditSummary,
    CriticalZone,
    PlacementSuggestion,
    WorstFailure,
    feature,
)
from gapwatch.coverage.types import CoverageResult, FailureGap

if TYPE_CHECKING:
    from gapwatch.coverage.model import CoverageModel
    from gapwatch.site import Site

__all__ = [
    "AUDIT_FILES",
    "Audit",
    "CameraAudit",
    "audit_csv",
    "audit_layers",
    "check_camera_ids",
    "run_audit",
    "write_audit",
]

Geometry = Any

# What `write_audit` puts in the folder, in the order a technician opens them.
AUDIT_FILES = (
    "summary.json",
    "map.png",
    "zones.csv",
    "cameras.csv",
    "zones.geojson",
    "camera_views.geojson",
    "blind_spots.geojson",
    "failure_gaps.geojson",
    "cameras.geojson",
    "suggestions.geojson",
)

_WORST_FAILURES = 5
_SUGGESTIONS = 5


@dataclass(frozen=True)
class CameraAudit:
    """One camera's line in the audit: working or not, what it sees, what its loss would open."""

    id: str
    name: str
    group: str | None
    working: bool
    view_m2: float
    failure_gap_m2: float
    weighted_gap_m2: float
    rank: int | None
    """1 = the working camera whose single failure would hurt most (importance × m²)."""


@dataclass(frozen=True)
class Audit:
    """Everything the audit found, in metric geometry, ready to be written or drawn."""

    site: Site
    model: CoverageModel
    down: frozenset[str]
    result: CoverageResult
    cameras: list[CameraAudit]
    failure_gaps: list[FailureGap]
    suggestions: list[PlacementSuggestion]
    suggested_views: list[Geometry]
    """Ground each suggestion would see (metric), in the order of `suggestions`."""
    summary: AuditSummary


def check_camera_ids(site: Site, camera_ids: Iterable[str]) -> list[str]:
    """The given ids, de-duplicated; ValueError naming every id the site does not have."""
    known = {c.id for c in site.spec.cameras}
    ids = list(dict.fromkeys(camera_ids))
    unknown = [c for c in ids if c not in known]
    if unknown:
        raise ValueError(
            f"未知摄像机 unknown camera id(s): {', '.join(unknown)} "
            f"(site {site.id} has {len(known)} cameras, e.g. {', '.join(sorted(known)[:3])})"
        )
    return ids


def _repairs(
    site: Site, model: CoverageModel, healthy: Collection[str], down: Collection[str]
) -> tuple[list[PlacementSuggestion], list[Geometry]]:
    """Repair (or re-aim) each broken camera whose return would close blind ground, the most
    weighted ground first: that is the first fix, not a new camera where the broken one hangs."""
    if not down:
        return [], []
    live = model.live([*healthy, *down])
    spec = {c.id: c for c in site.spec.cameras}
    found = []
    for cam_id in sorted(down):
        gap = live.gap_if_down([cam_id])
        if gap.empty:
            continue
        found.append((gap, cam_id))
    found.sort(key=lambda item: (-item[0].weighted_m2, item[1]))
    out, views = [], []
    for gap, cam_id in found:
        cam = spec[cam_id]
        out.append(
            PlacementSuggestion(
                kind="repair_camera",
                camera=cam_id,
                location=(round(cam.location[0], 7), round(cam.location[1], 7)),
                heading_deg=round(cam.heading_deg, 1),
                gain_m2=round(gap.area_m2, 1),
                gain_weighted_m2=round(gap.weighted_m2, 1),
            )
        )
        pieces = [p.geometry for p in gap.pieces]
        views.append(overlay.union_all(pieces) if pieces else Polygon())
    return out, views


def _suggestions(
    site: Site, model: CoverageModel, healthy: Collection[str], down: Collection[str] = ()
) -> tuple[list[PlacementSuggestion], list[Geometry]]:
    """Repairs of broken cameras first, then the engine's greedy placement picks for what the
    repaired network still leaves blind; positions in lon/lat, with the ground each sees."""
    out, views = _repairs(site, model, healthy, down)
    # New cameras are planned for the network as it is once repaired, so none is proposed
    # where a broken one already hangs.
    picks = model.suggest(healthy=[*healthy, *down], count=max(0, _SUGGESTIONS - len(out)))
    for pick in picks:
        lon, lat = site.projection.to_lonlat(pick.x, pick.y)
        out.append(
            PlacementSuggestion(
                kind=pick.kind,
                camera=pick.camera_id,
                preset=pick.preset_id,
                location=(round(lon, 7), round(lat, 7)),
                heading_deg=round(pick.heading_deg, 1),
                gain_m2=round(pick.gain_m2, 1),
                gain_weighted_m2=round(pick.gain_weighted_m2, 1),
            )
        )
        views.append(pick.geometry)
    return out, views


def run_audit(site: Site, *, down: Iterable[str] = (), model: CoverageModel | None = None) -> Audit:
    """Audit a site with the `down` cameras treated as broken."""
    from gapwatch.coverage.model import CoverageModel

    down_ids = frozenset(check_camera_ids(site, down))
    model = model if model is not None else CoverageModel.from_site(site)
    healthy = [c.id for c in site.spec.cameras if c.id not in down_ids]
    result = model.compute(healthy)
    gaps = model.failure_gaps(healthy)
    by_camera = {g.camera_id: g for g in gaps}
    ranks = {g.camera_id: k for k, g in enumerate(gaps, start=1)}
    cameras = []
    for cam in site.spec.cameras:
        gap = by_camera.get(cam.id)
        cameras.append(
            CameraAudit(
                id=cam.id,
                name=cam.name,
                group=cam.group,
                working=cam.id not in down_ids,
                view_m2=model.views[cam.id].area_m2,
                failure_gap_m2=gap.area_m2 if gap else 0.0,
                weighted_gap_m2=gap.weighted_m2 if gap else 0.0,
                rank=ranks.get(cam.id),
            )
        )
    suggestions, suggested_views = _suggestions(site, model, healthy, sorted(down_ids))
    summary = _summarise(site, result, cameras, gaps, down_ids, suggestions)
    return Audit(
        site, model, down_ids, result, cameras, gaps, suggestions, suggested_views, summary
    )


def _summarise(
    site: Site,
    result: CoverageResult,
    cameras: list[CameraAudit],
    gaps: list[FailureGap],
    down: frozenset[str],
    suggestions: list[PlacementSuggestion],
) -> AuditSummary:
    settings = site.spec.coverage
    total = len(cameras)
    working = sum(1 for c in cameras if c.working)
    share = working / total if total else 1.0
    critical = [z for z in result.zones if z.importance >= settings.critical_importance]
    critical_area = sum(z.area_m2 for z in critical)
    critical_covered = sum(min(z.covered_m2, z.area_m2) for z in critical)
    critical_ratio = critical_covered / critical_area if critical_area > 0 else None
    names = {c.id: c.name for c in cameras}
    worst = [
        WorstFailure(
            camera=g.camera_id,
            name=names.get(g.camera_id, g.camera_id),
            failure_gap_m2=round(g.area_m2, 1),
            weighted_m2=round(g.weighted_m2, 1),
            zones=sorted({p.zone for p in g.pieces}),
        )
        for g in gaps[:_WORST_FAILURES]
        if g.area_m2 > 0.0
    ]
    blind_m2 = sum(z.blind_m2 for z in result.zones)
    return AuditSummary(
        site=site.id,
        site_name=site.spec.site.name,
        cameras_total=total,
        cameras_working=working,
        down=sorted(down),
        working_share=round(share, 4),
        working_share_target=settings.working_share_target,
        working_share_met=share >= settings.working_share_target,
        critical_importance=settings.critical_importance,
        critical_zones=[
            CriticalZone(
                id=z.id,
                name=z.name,
                coverage_ratio=round(min(1.0, z.coverage_ratio), 4),
                blind_m2=round(z.blind_m2, 1),
            )
            for z in critical
        ],
        critical_coverage_ratio=None if critical_ratio is None else round(critical_ratio, 4),
        critical_coverage_target=settings.critical_coverage_target,
        # Sub-square-metre slivers come from arc approximation, not from real gaps.
        critical_coverage_met=critical_ratio is None
        or critical_area - critical_covered < 1.0
        or critical_ratio >= settings.critical_coverage_target,
        area_m2=round(result.area_m2, 1),
        covered_m2=round(min(result.covered_m2, result.area_m2), 1),
        coverage_ratio=round(min(1.0, result.coverage_ratio), 4),
        blind_spots=len(result.blind_spots),
        blind_m2=round(blind_m2, 1),
        worst_failures=worst,
        suggestions=suggestions,
    )


# ---------------------------------------------------------------------------- writing


def _collection(name: str, features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "name": name, "features": features}


def _write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def audit_layers(audit: Audit) -> dict[str, dict[str, Any]]:
    """The audit's GeoJSON layers by file name (zones, views, blind spots, failure gaps, ...)."""
    site, model, proj = audit.site, audit.model, audit.site.projection
    coverage = {z.id: z for z in audit.result.zones}
    zones = []
    for zone in model.zones:
        row = coverage[zone.id]
        zones.append(
            feature(
                to_geojson(zone.polygon, proj),
                {
                    "id": zone.id,
                    "name": zone.name,
                    "importance": zone.importance,
                    "area_m2": round(row.area_m2, 2),
                    "covered_m2": round(min(row.covered_m2, row.area_m2), 2),
                    "coverage_ratio": round(min(1.0, row.coverage_ratio), 6),
                    "blind_m2": round(row.blind_m2, 2),
                },
            )
        )
    views = []
    for cam in audit.cameras:
        geometry = model.views[cam.id].geometry
        if geometry.is_empty:
            continue
        props = {"camera": cam.id, "name": cam.name, "working": cam.working, "area_m2": cam.view_m2}
        views.append(feature(to_geojson(geometry, proj), props))
    blind = [
        feature(
            to_geojson(s.geometry, proj),
            {"zone": s.zone, "importance": s.importance, "area_m2": round(s.area_m2, 2)},
        )
        for s in audit.result.blind_spots
    ]
    gaps = []
    for rank, gap in enumerate(audit.failure_gaps, start=1):
        for piece in gap.pieces:
            props = {
                "camera": gap.camera_id,
                "rank": rank,
                "zone": piece.zone,
                "importance": piece.importance,
                "area_m2": round(piece.area_m2, 2),
                "camera_gap_m2": round(gap.area_m2, 2),
            }
            gaps.append(feature(to_geojson(piece.geometry, proj), props))
    points = []
    spec_cams = {c.id: c for c in site.spec.cameras}
    for cam in audit.cameras:
        spec = spec_cams[cam.id]
        props = {
            "camera": cam.id,
            "name": cam.name,
            "group": cam.group,
            "working": cam.working,
            "heading_deg": spec.heading_deg,
            "hfov_deg": spec.hfov_deg,
            "range_m": spec.range_m,
            "failure_gap_m2": round(cam.failure_gap_m2, 2),
            "rank": cam.rank,
        }
        x, y = proj.to_metres(*spec.location)
        points.append(feature(to_geojson(Point(x, y), proj), props))
    picks = []
    for rank, (pick, view) in enumerate(
        zip(audit.suggestions, audit.suggested_views, strict=True), start=1
    ):
        props = {"rank": rank, **pick.model_dump(exclude={"location"})}
        if view is not None and not view.is_empty:
            picks.append(feature(to_geojson(view, proj), props))
    return {
        "suggestions.geojson": _collection("suggestions", picks),
        "zones.geojson": _collection("zones", zones),
        "camera_views.geojson": _collection("camera_views", views),
        "blind_spots.geojson": _collection("blind_spots", blind),
        "failure_gaps.geojson": _collection("failure_gaps", gaps),
        "cameras.geojson": _collection("cameras", points),
    }


_CSV_HEADERS = {
    "zones.csv": [
        "zone",
        "name",
        "importance",
        "area_m2",
        "covered_m2",
        "coverage_ratio",
        "blind_m2",
        "blind_spots",
    ],
    "cameras.csv": [
        "camera",
        "name",
        "group",
        "status",
        "view_m2",
        "failure_gap_m2",
        "weighted_gap_m2",
        "rank",
    ],
}


def audit_csv(audit: Audit, name: str) -> bytes:
    """`zones.csv` or `cameras.csv` of the audit, UTF-8 with a byte-order mark."""
    rows = _zone_rows(audit) if name == "zones.csv" else _camera_rows(audit)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(_CSV_HEADERS[name])
    writer.writerows(rows)
    # With a byte-order mark, spreadsheet programs on Chinese desktops show the names correctly.
    return text.getvalue().encode("utf-8-sig")


def _zone_rows(audit: Audit) -> list[list[object]]:
    spots: dict[str, int] = {}
    for s in audit.result.blind_spots:
        spots[s.zone] = spots.get(s.zone, 0) + 1
    return [
        [
            z.id,
            z.name,
            z.importance,
            f"{z.area_m2:.1f}",
            f"{min(z.covered_m2, z.area_m2):.1f}",
            f"{min(1.0, z.coverage_ratio):.4f}",
            f"{z.blind_m2:.1f}",
            spots.get(z.id, 0),
        ]
        for z in audit.result.zones
    ]


def _camera_rows(audit: Audit) -> list[list[object]]:
    return [
        [
            c.id,
            c.name,
            c.group or "",
            "working" if c.working else "down",
            f"{c.view_m2:.1f}",
            f"{c.failure_gap_m2:.1f}",
            f"{c.weighted_gap_m2:.1f}",
            "" if c.rank is None else c.rank,
        ]
        for c in audit.cameras
    ]


def write_audit(audit: Audit, out_dir: Path) -> list[Path]:
    """Write the audit folder (see AUDIT_FILES) and return the paths written."""
    from gapwatch.coverage.mapplot import render_audit_map

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, collection in audit_layers(audit).items():
        _write_json(out_dir / name, collection)
        written.append(out_dir / name)
    for name in ("zones.csv", "cameras.csv"):
        (out_dir / name).write_bytes(audit_csv(audit, name))
    written += [out_dir / "zones.csv", out_dir / "cameras.csv"]
    render_audit_map(_map_layers(audit), out_dir / "map.png")
    written.append(out_dir / "map.png")
    _write_json(out_dir / "summary.json", audit.summary.model_dump(mode="json"))
    written.append(out_dir / "summary.json")
    return written


def _map_layers(audit: Audit) -> Any:
    from gapwatch.coverage.mapplot import MapCamera, MapLayers, MapSuggestion, MapZone

    site, model, proj = audit.site, audit.model, audit.site.projection
    coverage = {z.id: z for z in audit.result.zones}
    spec_cams = {c.id: c for c in site.spec.cameras}
    cameras = []
    for cam in audit.cameras:
        spec = spec_cams[cam.id]
        x, y = proj.to_metres(*spec.location)
        cameras.append(
            MapCamera(
                id=cam.id,
                x=x,
                y=y,
                view=model.views[cam.id].geometry,
                working=cam.working,
                rank=cam.rank,
            )
        )
    top = audit.failure_gaps[:_WORST_FAILURES]
    return MapLayers(
        title=f"{site.spec.site.name} — 覆盖审计 coverage audit",
        subtitle=_subtitle(audit.summary),
        zones=[
            MapZone(
                id=z.id,
                name=z.name,
                drawn=proj.project(Polygon(spec.polygon)),
                coverage_ratio=min(1.0, coverage[z.id].coverage_ratio),
                importance=z.importance,
            )
            for z, spec in zip(model.zones, _spec_zones(site, model), strict=True)
        ],
        obstacles=[proj.project(Polygon(o.polygon)) for o in site.spec.obstacles],
        cameras=cameras,
        blind_spots=[s.geometry for s in audit.result.blind_spots],
        failure_gaps=[overlay.union_all([p.geometry for p in g.pieces]) for g in top if g.pieces],
        suggestions=[
            MapSuggestion(rank, *proj.to_metres(*pick.location), view)
            for rank, (pick, view) in enumerate(
                zip(audit.suggestions, audit.suggested_views, strict=True), start=1
            )
            if pick.location is not None
        ],
        terrain=model.obstacles.terrain.elevation if model.obstacles.terrain else None,
    )


def _spec_zones(site: Site, model: CoverageModel) -> list[Any]:
    by_id = {z.id: z for z in site.spec.zones}
    return [by_id[z.id] for z in model.zones]


def _subtitle(summary: AuditSummary) -> str:
    parts = [
        f"完好率 working {summary.working_share * 100:.1f} % "
        f"(目标 target ≥ {summary.working_share_target * 100:.0f} %)",
        f"总覆盖率 coverage {summary.coverage_ratio * 100:.1f} %",
    ]
    if summary.critical_coverage_ratio is not None:
        parts.append(
            f"重点区域 critical zones {summary.critical_coverage_ratio * 100:.1f} % "
            f"(目标 target {summary.critical_coverage_target * 100:.0f} %)"
        )
    parts.append(f"盲区 blind spots {summary.blind_spots} · {summary.blind_m2:,.0f} m²")
    return "   ·   ".join(parts)
