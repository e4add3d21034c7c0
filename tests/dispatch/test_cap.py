"""CAP 1.2 export: required elements in the schema's order, polygons as closed lat,lon rings."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
import shapely
from shapely.geometry import Polygon, shape

from gapwatch.dispatch.cap import CAP_NAMESPACE, CapAlert, alert_to_cap
from gapwatch.storage import AlertRow, SessionFactory, transaction

NS = {"cap": CAP_NAMESPACE}
T0 = dt.datetime(2026, 7, 30, 13, 0, tzinfo=dt.UTC)

# The element order of the CAP 1.2 schema (xs:sequence), for the elements gapwatch may write.
ALERT_ORDER = [
    "identifier", "sender", "sent", "status", "msgType", "source", "scope", "restriction",
    "addresses", "code", "note", "references", "incidents", "info",
]  # fmt: skip
INFO_ORDER = [
    "language", "category", "event", "responseType", "urgency", "severity", "certainty",
    "audience", "eventCode", "effective", "onset", "expires", "senderName", "headline",
    "description", "instruction", "web", "contact", "parameter", "resource", "area",
]  # fmt: skip
AREA_ORDER = ["areaDesc", "polygon", "circle", "geocode", "altitude", "ceiling"]

SQUARE = [[104.0501, 35.1302], [104.0512, 35.1302], [104.0512, 35.1311], [104.0501, 35.1311]]
HOLE = [[104.0505, 35.1305], [104.0508, 35.1305], [104.0508, 35.1308], [104.0505, 35.1308]]


def _feature(zone: str, rings: list[list[list[float]]], area: float) -> dict[str, object]:
    closed = [[*ring, ring[0]] for ring in rings]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": closed},
        "properties": {"zone": zone, "area_m2": area},
    }


def _alert(**changes: object) -> CapAlert:
    fields: dict[str, object] = {
        "id": "al_1",
        "site_id": "weiyuan-demo",
        "kind": "camera_down",
        "status": "open",
        "severity": 5,
        "opened_at": T0,
        "cameras": ["cam-001"],
        "zones": ["weihe-source-gate"],
        "blind_spot_m2": 1234.5,
        "blind_spots": [_feature("weihe-source-gate", [SQUARE], 1234.5)],
    }
    fields.update(changes)
    return CapAlert(**fields)  # type: ignore[arg-type]


def _parse(xml: str) -> ET.Element:
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == f"{{{CAP_NAMESPACE}}}alert"
    return root


def _local(element: ET.Element) -> list[str]:
    return [child.tag.split("}", 1)[1] for child in element]


def _in_order(tags: list[str], order: list[str]) -> bool:
    positions = [order.index(t) for t in tags]
    return positions == sorted(positions)


def _text(element: ET.Element, path: str) -> str:
    found = element.find(path, NS)
    assert found is not None, path
    return found.text or ""


def _ring_points(text: str) -> list[tuple[float, float]]:
    pairs = [p.split(",") for p in text.split()]
    return [(float(lat), float(lon)) for lat, lon in pairs]


def test_open_alert_has_every_required_element_in_schema_order() -> None:
    root = _parse(alert_to_cap(_alert(), sender="gapwatch@weiyuan.gov.cn", site_name="渭源县"))
    tags = _local(root)
    for required in ("identifier", "sender", "sent", "status", "msgType", "scope"):
        assert tags.count(required) == 1
    assert _in_order(tags, ALERT_ORDER)
    assert _text(root, "cap:identifier") == "gapwatch-weiyuan-demo-al_1"
    assert _text(root, "cap:sent") == "2026-07-30T13:00:00-00:00"
    assert _text(root, "cap:msgType") == "Alert"
    assert _text(root, "cap:scope") == "Restricted"
    assert _text(root, "cap:restriction")  # Restricted scope needs one
    infos = root.findall("cap:info", NS)
    assert [_text(i, "cap:language") for i in infos] == ["zh-CN", "en-US"]
    for info in infos:
        assert _in_order(_local(info), INFO_ORDER)
        assert _text(info, "cap:category") == "Security"
        assert _text(info, "cap:urgency") == "Immediate"
        assert _text(info, "cap:severity") == "Extreme"
        assert _text(info, "cap:certainty") == "Observed"
        for area in info.findall("cap:area", NS):
            assert _in_order(_local(area), AREA_ORDER)
    assert "摄像机离线" in _text(infos[0], "cap:event")
    assert "1234" in _text(infos[1], "cap:headline")


def test_polygon_is_a_closed_lat_lon_ring_matching_the_blind_spot() -> None:
    root = _parse(alert_to_cap(_alert(), sender="gapwatch"))
    area = root.find("cap:info/cap:area", NS)
    assert area is not None
    assert _text(area, "cap:areaDesc") == "weihe-source-gate"
    (polygon,) = area.findall("cap:polygon", NS)
    points = _ring_points(polygon.text or "")
    assert len(points) >= 4
    assert points[0] == points[-1]
    assert all(35 < lat < 36 and 104 < lon < 105 for lat, lon in points)  # lat first
    exported = Polygon([(lon, lat) for lat, lon in points])
    original = Polygon(SQUARE)
    assert exported.symmetric_difference(original).area < 1e-12


def test_a_blind_spot_with_a_hole_is_cut_into_hole_free_pieces_covering_the_same_ground() -> None:
    feature = _feature("weihe-source-gate", [SQUARE, HOLE], 900.0)
    root = _parse(alert_to_cap(_alert(blind_spots=[feature]), sender="gapwatch"))
    area = root.find("cap:info/cap:area", NS)
    assert area is not None
    pieces = [
        Polygon([(lon, lat) for lat, lon in _ring_points(p.text or "")])
        for p in area.findall("cap:polygon", NS)
    ]
    assert len(pieces) >= 2
    union = shapely.union_all(pieces)
    assert all(not piece.interiors for piece in pieces)
    original = shape(feature["geometry"])  # type: ignore[arg-type]
    assert union.symmetric_difference(original).area < 1e-12
    assert sum(p.area for p in pieces) == pytest.approx(original.area, rel=1e-9)


def test_resolved_alert_is_a_cancel_referring_to_the_original() -> None:
    resolved = _alert(status="resolved", resolved_at=T0 + dt.timedelta(minutes=42))
    root = _parse(alert_to_cap(resolved, sender="gapwatch", tz=ZoneInfo("Asia/Shanghai")))
    assert _text(root, "cap:msgType") == "Cancel"
    assert _text(root, "cap:identifier") == "gapwatch-weiyuan-demo-al_1-resolved"
    assert _text(root, "cap:sent") == "2026-07-30T21:42:00+08:00"
    assert _text(root, "cap:references") == (
        "gapwatch,gapwatch-weiyuan-demo-al_1,2026-07-30T21:00:00+08:00"
    )
    assert _in_order(_local(root), ALERT_ORDER)
    for info in root.findall("cap:info", NS):
        assert _text(info, "cap:urgency") == "Past"


def test_exports_a_stored_alert_row(db_factory: SessionFactory) -> None:
    with transaction(db_factory) as session:
        row = AlertRow(
            site_id="weiyuan-demo",
            kind="coverage_gap",
            dedup_key="coverage_gap:weihe-source-gate",
            severity=3,
            zones=["weihe-source-gate"],
            blind_spot_m2=80.0,
            blind_spots=[_feature("weihe-source-gate", [SQUARE], 80.0)],
            opened_at=T0,
        )
        session.add(row)
        session.flush()
        alert_id = row.id
    with transaction(db_factory, write=False) as session:
        stored = session.get(AlertRow, alert_id)
        assert stored is not None
        root = _parse(
            alert_to_cap(stored, sender="gapwatch", zone_names={"weihe-source-gate": "渭河源"})
        )
    assert _text(root, "cap:info/cap:severity") == "Moderate"
    assert _text(root, "cap:info/cap:area/cap:areaDesc") == "渭河源"
    for info in root.findall("cap:info", NS):
        assert len(info.findall("cap:area/cap:polygon", NS)) == 1


@pytest.mark.parametrize("sender", ["", "gap watch", "a,b", "x<y"])
def test_an_unusable_sender_is_refused_by_name(sender: str) -> None:
    with pytest.raises(ValueError, match="CAP sender"):
        alert_to_cap(_alert(), sender=sender)
