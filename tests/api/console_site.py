"""A site for the console's browser tests: four zones in two scenic spots far apart, each zone
wholly watched by its own camera (so every test has its own outage), zone and camera names in both
languages, a maintenance window in force, and two patrol units."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

CLIPS = Path(__file__).resolve().parents[2] / "sample_streams" / "clips"
CLEAN = CLIPS / "clean_day.mp4"

SITE_YAML = """\
site:
  id: console-test
  name: 控制台测试景区 console test park
zones:
  - id: gate
    name: 景区大门
    name_en: Main gate
    importance: 5
    polygon: [[104.0500, 35.1300], [104.0506, 35.1300], [104.0506, 35.1304], [104.0500, 35.1304]]
  - id: square
    name: 游客广场
    name_en: Visitor square
    importance: 4
    polygon: [[104.0520, 35.1300], [104.0526, 35.1300], [104.0526, 35.1304], [104.0520, 35.1304]]
  - id: trail
    name: 观景步道
    name_en: Scenic trail
    importance: 3
    polygon: [[104.0700, 35.1400], [104.0706, 35.1400], [104.0706, 35.1404], [104.0700, 35.1404]]
  - id: lot
    name: 停车场
    name_en: Car park
    importance: 2
    polygon: [[104.0720, 35.1400], [104.0726, 35.1400], [104.0726, 35.1404], [104.0720, 35.1404]]
cameras:
  - id: cam-1
    name: 大门西
    name_en: Gate west
    stream: {clip}
    location: [104.0498, 35.1302]
    heading_deg: 90
    hfov_deg: 120
    range_m: 100
  - id: cam-2
    name: 广场西
    name_en: Square west
    stream: {clip}
    location: [104.0518, 35.1302]
    heading_deg: 90
    hfov_deg: 120
    range_m: 100
  - id: cam-3
    name: 步道口
    name_en: Trail head
    stream: {clip}
    location: [104.0698, 35.1402]
    heading_deg: 90
    hfov_deg: 120
    range_m: 100
  - id: cam-4
    name: 停车场入口
    name_en: Car park entrance
    stream: {clip}
    location: [104.0718, 35.1402]
    heading_deg: 90
    hfov_deg: 120
    range_m: 100
patrol_units:
  - id: unit-1
    name: 巡逻一组
    kind: foot
    location: [104.0510, 35.1296]
  - id: unit-2
    name: 巡逻二组
    kind: vehicle
    location: [104.0710, 35.1396]
maintenance:
  - id: mw-trail
    cameras: [cam-3]
    start: {mw_start}
    end: {mw_end}
    reason: 立杆检修
health:
  open_after: 1
  close_after: 1
"""


def write_console_site(folder: Path, *, now: dt.datetime) -> Path:
    """Write the site with its maintenance window around `now`; returns its path."""
    path = folder / "site.yaml"
    path.write_text(
        SITE_YAML.format(
            clip=CLEAN,
            mw_start=(now - dt.timedelta(hours=1)).isoformat(),
            mw_end=(now + dt.timedelta(hours=5)).isoformat(),
        ),
        encoding="utf-8",
    )
    return path
