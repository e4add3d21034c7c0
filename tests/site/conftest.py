"""Helpers to write small site files for the loader tests."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

VALID_SITE = """\
site:
  id: test-site
  name: 测试站点 test site
zones:
  - id: gate
    name: 景区入口 gate
    importance: 5
    polygon: [[104.0500, 35.1300], [104.0520, 35.1300], [104.0520, 35.1315], [104.0500, 35.1315]]
  - id: trail
    name: trail
    importance: 3
    polygon: [[104.0530, 35.1300], [104.0550, 35.1300], [104.0550, 35.1320]]
    schedule:
      - {period: night-market, importance: 5}
obstacles:
  - id: ticket-hall
    polygon: [[104.0505, 35.1305], [104.0508, 35.1305], [104.0508, 35.1308], [104.0505, 35.1308]]
    height_m: 6
cameras:
  - id: cam-001
    name: 南门 1
    stream: rtsp://127.0.0.1:8554/cam1
    username: viewer
    location: [104.0502, 35.1301]
    heading_deg: 30
    hfov_deg: 90
    range_m: 80
    group: pole-1
  - id: cam-002
    name: trail
    stream: rtsp://127.0.0.1:8554/cam2
    location: [104.0540, 35.1298]
    heading_deg: 0
    hfov_deg: 60
    range_m: 120
    ptz:
      - {id: wide, heading_deg: 0, hfov_deg: 60, range_m: 120}
      - {id: tele, heading_deg: 10, hfov_deg: 20, range_m: 250}
patrol_units:
  - id: unit-1
    name: 巡逻一组
    kind: foot
    location: [104.0520, 35.1290]
roads:
  - id: main-road
    line: [[104.0490, 35.1295], [104.0560, 35.1295]]
periods:
  - id: night-market
    days: [fri, sat]
    start: "18:30"
    end: "23:00"
holidays: [2026-10-01/2026-10-07]
maintenance:
  - id: m1
    cameras: [cam-002]
    start: 2026-10-09T08:00
    end: 2026-10-09T10:00
"""


@pytest.fixture
def write_site(tmp_path: Path) -> Callable[[str], Path]:
    """Write YAML text (dedented) to a site file in a temporary folder; return its path."""

    def write(text: str, name: str = "site.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write
