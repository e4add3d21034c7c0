"""A small site for the dashboard tests: one plaza watched by two cameras facing each other, a
patrol unit nearby; camera A reads its picture through a link the test can point at a black clip."""

from __future__ import annotations

import os
from pathlib import Path

CLIPS = Path(__file__).resolve().parents[2] / "sample_streams" / "clips"
CLEAN = CLIPS / "clean_day.mp4"
BLACK = CLIPS / "fault_black.mp4"

SITE_YAML = """\
site:
  id: dashboard-test
  name: 看板测试广场
zones:
  - id: plaza
    name: 测试广场 plaza
    importance: 4
    polygon: [[104.0500, 35.1300], [104.0509, 35.1300], [104.0509, 35.1304], [104.0500, 35.1304]]
obstacles:
  - id: kiosk
    polygon:
      - [104.05043, 35.13018]
      - [104.05047, 35.13018]
      - [104.05047, 35.13022]
      - [104.05043, 35.13022]
cameras:
  - id: cam-a
    name: 广场西
    stream: {stream_a}
    location: [104.0500, 35.1302]
    heading_deg: 90
    hfov_deg: 100
    range_m: 50
  - id: cam-b
    name: 广场东
    stream: {stream_b}
    location: [104.0509, 35.1302]
    heading_deg: 270
    hfov_deg: 100
    range_m: 50
patrol_units:
  - id: unit-1
    name: 巡逻一组
    kind: foot
    location: [104.0504, 35.1296]
health:
  open_after: 1    # one black picture is enough: the test should not wait for a second probe
  close_after: 1
roads:
  - id: lane
    name: 广场南路
    kind: footpath
    line: [[104.0496, 35.1296], [104.0512, 35.1296]]
"""


def point_link(link: Path, clip: Path) -> None:
    """Point `link` at `clip` in one step, so a probe never finds it missing."""
    fresh = link.with_name(link.name + ".new")
    fresh.unlink(missing_ok=True)
    fresh.symlink_to(clip)
    os.replace(fresh, link)


def write_dashboard_site(folder: Path) -> tuple[Path, Path]:
    """Write the site; returns its path and camera A's stream link (pointing at a clean clip)."""
    link = folder / "cam-a.mp4"
    point_link(link, CLEAN)
    path = folder / "site.yaml"
    path.write_text(SITE_YAML.format(stream_a=link, stream_b=CLEAN), encoding="utf-8")
    return path, link
