"""Merging inventories into a site file: idempotent, never loses a hand-set field, always loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapwatch.platforms.merge import SiteDocument, merge_inventory
from gapwatch.platforms.types import Channel, Inventory, Preset
from gapwatch.site import read_site

SOURCE = {"id": "county", "kind": "wvp", "url": "http://10.0.0.5:18080", "user": "admin",
          "password_env": "COUNTY_WVP"}  # fmt: skip

HEAD = """\
site:
  id: merge-test
  name: 合并测试
  coordinates: {datum}
zones:
  - id: z
    name: Z
    importance: 3
    polygon: [[104.04, 35.12], [104.06, 35.12], [104.06, 35.14], [104.04, 35.14]]
"""

names = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "Zs"), exclude_characters="\x85"),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() != "")
positions = st.one_of(
    st.none(),
    st.tuples(
        st.floats(104.045, 104.055, allow_nan=False), st.floats(35.125, 35.135, allow_nan=False)
    ),
)
channels = st.lists(
    st.builds(
        Channel,
        platform_id=st.from_regex(r"3402000000131\d{7}", fullmatch=True),
        name=names,
        online=st.booleans(),
        manufacturer=st.one_of(st.none(), st.sampled_from(["Hikvision", "Dahua", "宇视"])),
        location=positions,
        stream=st.one_of(st.none(), st.just("rtsp://10.20.0.9/rtp/x")),
        presets=st.lists(
            st.builds(Preset, token=st.from_regex(r"[0-9]{1,3}", fullmatch=True), name=names),
            max_size=3,
            unique_by=lambda p: p.token,
        ).map(tuple),
    ),
    max_size=6,
    unique_by=lambda c: c.platform_id,
)


def _load(tmp: Path, doc: SiteDocument) -> None:
    path = tmp / "merged.yaml"
    path.write_text(doc.dump(), encoding="utf-8")
    reading = read_site(path)
    assert not reading.errors, [p.render("en") for p in reading.errors]


@pytest.mark.slow
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=channels, second=channels, datum=st.sampled_from(["wgs84", "gcj02", "bd09"]),
       heading=st.floats(0, 359, allow_nan=False))  # fmt: skip
def test_merge_is_idempotent_and_keeps_hand_edits(
    tmp_path: Path, first: list[Channel], second: list[Channel], datum: str, heading: float
) -> None:
    doc = SiteDocument.load_text(HEAD.format(datum=datum))
    merge_inventory(doc, Inventory("county", list(first)), source=SOURCE)
    _load(tmp_path, doc)
    # a technician aims every imported camera by hand
    for camera in doc.data.get("cameras", []):
        camera["heading_deg"] = round(heading, 1)
        camera["height_m"] = 7.5
    inventory = Inventory("county", list(second))
    merge_inventory(doc, inventory, source=SOURCE)
    _load(tmp_path, doc)
    for camera in doc.data.get("cameras", []):
        if camera.get("platform_id") in {c.platform_id for c in first}:
            assert camera["heading_deg"] == round(heading, 1) and camera["height_m"] == 7.5
    text = doc.dump()
    report = merge_inventory(doc, inventory, source=SOURCE)
    assert report.added == [] and report.changed == {}
    assert doc.dump() == text  # the same inventory again changes nothing
    known = {str(c["platform_id"]) for c in doc.data.get("cameras", [])}
    waiting = {str(u["platform_id"]) for u in doc.data.get("unplaced", [])}
    for channel in second:  # every channel is somewhere, exactly once
        assert (channel.platform_id in known) != (channel.platform_id in waiting)


@pytest.mark.parametrize("name", ["no", "off", "Yes", "on", "1:20", "0x1f", "1_000", "null", "~"])
def test_names_the_site_reader_would_take_for_another_type_are_written_quoted(name: str) -> None:
    """The merge writes YAML 1.2, the site file is read as YAML 1.1: a preset named `no` came
    back as False (found by the round-trip property test)."""
    import yaml as pyyaml

    doc = SiteDocument.new("s", name)
    assert pyyaml.safe_load(doc.dump())["site"]["name"] == name
