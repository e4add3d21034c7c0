"""A small site for API tests: two zones, one building, three cameras (one with credentials)."""

from __future__ import annotations

from pathlib import Path

SITE_YAML = """\
site:
  id: api-test
  name: 接口测试站点
zones:
  - id: gate
    name: 景区大门
    importance: 5
    polygon: [[104.0500, 35.1300], [104.0510, 35.1300], [104.0510, 35.1308], [104.0500, 35.1308]]
  - id: trail
    name: Trail
    importance: 3
    polygon: [[104.0520, 35.1300], [104.0530, 35.1300], [104.0530, 35.1308], [104.0520, 35.1308]]
obstacles:
  - id: kiosk
    polygon: [[104.0504, 35.1303], [104.0505, 35.1303], [104.0505, 35.1304], [104.0504, 35.1304]]
cameras:
  - id: cam-1
    name: 南门 1
    stream: rtsp://admin:s3cret@10.1.2.3:554/Streaming/Channels/101
    location: [104.0499, 35.1299]
    heading_deg: 45
    hfov_deg: 90
    range_m: 150
  - id: cam-2
    name: 南门 2
    stream: {clip}
    location: [104.0511, 35.1309]
    heading_deg: 225
    hfov_deg: 90
    range_m: 150
  - id: cam-3
    name: Trail 1
    stream: http://viewer:pw@10.1.2.4/video.mjpg?token=abc
    location: [104.0519, 35.1299]
    heading_deg: 45
    hfov_deg: 60
    range_m: 40
patrol_units:
  - id: unit-1
    name: 巡逻一组
    kind: foot
    location: [104.0515, 35.1295]
"""

CLIP = Path(__file__).resolve().parents[2] / "sample_streams" / "clips" / "clean_day.mp4"


def write_site(folder: Path, clip: Path = CLIP, *, local_streams: bool = False) -> Path:
    """Write the test site into `folder` and return its path.

    `local_streams`: cam-1 and cam-3 play the clean clip instead of their (unreachable) camera
    addresses, for tests that run the prober: tests send no traffic beyond this machine.
    """
    text = SITE_YAML.format(clip=clip)
    if local_streams:
        text = text.replace("rtsp://admin:s3cret@10.1.2.3:554/Streaming/Channels/101", str(CLIP))
        text = text.replace("http://viewer:pw@10.1.2.4/video.mjpg?token=abc", str(CLIP))
    path = folder / "site.yaml"
    path.write_text(text, encoding="utf-8")
    return path
