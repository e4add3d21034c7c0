"""Checks of meaning beyond the schema, each with the line it points at."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gapwatch.site import load_site, read_site
from gapwatch.site.checks import FAR_CAMERA_M
from tests.site.conftest import VALID_SITE
from tests.site.helpers import find, line_of_text, problems_of

WriteSite = Callable[..., Path]


@pytest.mark.parametrize(
    ("old", "new", "second_item"),
    [
        ("id: trail\n", "id: gate\n", "zones[1]"),
        ("id: cam-002", "id: cam-001", "cameras[1]"),
    ],
)
def test_duplicate_ids(write_site: WriteSite, old: str, new: str, second_item: str) -> None:
    text = VALID_SITE.replace(old, new)
    line, message = find(problems_of(write_site(text)), "already used")
    ident = new.split(": ")[1].strip()
    assert line == line_of_text(text, f"id: {ident}", occurrence=2)
    assert message.split(": ")[1] == f"{second_item}.id"
    assert f"(line {line_of_text(text, f'id: {ident}')})" in message


@pytest.mark.parametrize(
    ("section", "item"),
    [
        (
            "obstacles",
            "  - id: b\n    polygon: [[104.0510, 35.1310], [104.0511, 35.1310], "
            "[104.0511, 35.1311]]\n",
        ),
        ("patrol_units", "  - {id: b, name: b, kind: vehicle, location: [104.052, 35.129]}\n"),
        ("roads", "  - {id: b, line: [[104.05, 35.13], [104.051, 35.13]]}\n"),
        ("periods", "  - {id: b}\n"),
        (
            "maintenance",
            "  - {id: b, cameras: [cam-001], start: 2026-01-01T00:00, end: 2026-01-02T00:00}\n",
        ),
    ],
)
def test_duplicate_ids_in_other_sections(write_site: WriteSite, section: str, item: str) -> None:
    first = item.replace("id: b", "id: twin")
    text = VALID_SITE.replace(f"{section}:\n", f"{section}:\n{first}{first}", 1)
    line, message = find(problems_of(write_site(text)), "already used")
    assert line == line_of_text(text, "id: twin", occurrence=2)
    assert message.split(": ")[1] == f"{section}[1].id"


def test_duplicate_dispatch_endpoint_ids(write_site: WriteSite) -> None:
    text = VALID_SITE + (
        "dispatch:\n  endpoints:\n    - {id: cad, url: 'https://a.example/hook'}\n"
        "    - {id: cad, url: 'https://b.example/hook'}\n"
    )
    line, message = find(problems_of(write_site(text)), "already used")
    assert line == len(text.splitlines())
    assert "dispatch.endpoints[1].id" in message


def test_duplicate_ptz_preset_ids_within_a_camera(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("{id: tele,", "{id: wide,")
    line, message = find(problems_of(write_site(text)), "already used")
    assert line == line_of_text(text, "{id: wide,", occurrence=2)
    assert "cameras[1].ptz[1].id" in message


def test_same_preset_id_on_two_cameras_is_fine(write_site: WriteSite) -> None:
    text = VALID_SITE.replace(
        "    group: pole-1\n",
        "    group: pole-1\n    ptz:\n"
        "      - {id: wide, heading_deg: 0, hfov_deg: 60, range_m: 80}\n",
    )
    assert load_site(write_site(text)).spec.cameras[0].ptz[0].id == "wide"


@pytest.mark.parametrize(
    "polygon",
    [
        "[[104.0530, 35.1300], [104.0550, 35.1300]]",
        "[[104.0530, 35.1300], [104.0550, 35.1300], [104.0530, 35.1300]]",
        "[[104.0530, 35.1300], [104.0550, 35.1300], [104.0550, 35.1300], [104.0530, 35.1300]]",
    ],
)
def test_polygon_needs_three_distinct_points(write_site: WriteSite, polygon: str) -> None:
    text = VALID_SITE.replace(
        "[[104.0530, 35.1300], [104.0550, 35.1300], [104.0550, 35.1320]]", polygon
    )
    line, message = find(problems_of(write_site(text)), "zones[1].polygon")
    assert line == line_of_text(text, polygon)
    assert "at least 3 distinct points (has 2)" in message


def test_self_intersecting_polygon_names_the_crossing_edges(write_site: WriteSite) -> None:
    # A bow tie written one point per line: edges 1-2 and 3-0 cross at (104.051, 35.131).
    bowtie = (
        "    polygon:\n"
        "      - [104.0500, 35.1300]\n"
        "      - [104.0520, 35.1300]\n"
        "      - [104.0500, 35.1320]\n"
        "      - [104.0520, 35.1320]\n"
    )
    text = VALID_SITE.replace(
        "    polygon: [[104.0500, 35.1300], [104.0520, 35.1300], [104.0520, 35.1315], "
        "[104.0500, 35.1315]]\n",
        bowtie,
    )
    line, message = find(problems_of(write_site(text)), "crosses itself")
    assert line == line_of_text(text, "- [104.0520, 35.1300]")
    assert "zones[0].polygon[1]" in message
    assert "edge 1-2 crosses edge 3-0" in message
    assert "near [104.051000, 35.131000]" in message


def test_closed_ring_is_fine(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("[104.0550, 35.1320]]", "[104.0550, 35.1320], [104.0530, 35.1300]]")
    assert len(load_site(write_site(text)).spec.zones[1].polygon) == 4


def test_swapped_longitude_latitude(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("location: [104.0540, 35.1298]", "location: [35.1298, 104.0540]")
    line, message = find(problems_of(write_site(text)), "cameras[1].location")
    assert line == line_of_text(text, "location: [35.1298, 104.0540]")
    assert "looks swapped: write [104.054, 35.1298]" in message


def test_longitude_out_of_range(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("location: [104.0520, 35.1290]", "location: [204.0520, 35.1290]")
    line, message = find(problems_of(write_site(text)), "patrol_units[0].location")
    assert line == line_of_text(text, "204.0520")
    assert "longitude 204.052 is outside -180..180" in message


def test_camera_inside_a_building(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("location: [104.0502, 35.1301]", "location: [104.05065, 35.13065]")
    line, message = find(problems_of(write_site(text)), "inside obstacle")
    assert line == line_of_text(text, "location: [104.05065, 35.13065]")
    assert "cameras[0].location: stands" in message
    assert "'ticket-hall' (obstacles[0], line" in message


def test_camera_on_a_building_wall_is_fine(write_site: WriteSite) -> None:
    # On the western wall of the ticket hall, a few centimetres inside the outline.
    text = VALID_SITE.replace("location: [104.0502, 35.1301]", "location: [104.0505003, 35.13065]")
    assert load_site(write_site(text)).spec.cameras[0].location == (104.0505003, 35.13065)


def test_unknown_period_in_a_zone_schedule(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("{period: night-market,", "{period: night-markt,")
    line, message = find(problems_of(write_site(text)), "zones[1].schedule[0].period")
    assert line == line_of_text(text, "night-markt")
    assert "'night-markt' is not defined under `periods`" in message


def test_unknown_camera_in_maintenance(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("cameras: [cam-002]", "cameras: [cam-002, cam-404]")
    line, message = find(problems_of(write_site(text)), "maintenance[0].cameras[1]")
    assert line == line_of_text(text, "cam-404")
    assert "'cam-404' is not defined" in message


def test_reference_to_a_broken_camera_is_not_called_missing(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("hfov_deg: 60", "hfov_deg: -60")
    problems = problems_of(write_site(text))
    assert not [p for p in problems if "not defined" in p]


def test_camera_far_from_the_site(write_site: WriteSite) -> None:
    # 0.6 degrees of longitude at 35°N is ~55 km.
    text = VALID_SITE.replace("location: [104.0540, 35.1298]", "location: [104.6600, 35.1298]")
    line, message = find(problems_of(write_site(text)), "from everything else")
    assert line == line_of_text(text, "104.6600")
    assert "cameras[1].location" in message
    assert "55 km" in message


def test_far_threshold_is_not_tripped_within_a_county(write_site: WriteSite) -> None:
    # 0.4 degrees is ~36 km: a scenic area at the other end of a county.
    text = VALID_SITE.replace("location: [104.0540, 35.1298]", "location: [104.4540, 35.1298]")
    reading = read_site(write_site(text))
    assert reading.errors == []
    assert FAR_CAMERA_M == 50_000.0
    # ...but it sees no zone, which is worth a warning.
    (warning,) = reading.warnings
    assert warning.warning
    assert "cameras[1].location: no zone lies within its range of 120 m" in warning.text.en


def test_unknown_time_zone(write_site: WriteSite) -> None:
    text = VALID_SITE.replace(
        "  name: 测试站点 test site\n", "  name: x\n  timezone: Asia/Lanzhou\n"
    )
    line, message = find(problems_of(write_site(text)), "site.timezone")
    assert line == line_of_text(text, "Asia/Lanzhou")
    assert "not a known time zone" in message


def test_holiday_period_without_holidays_warns(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("holidays: [2026-10-01/2026-10-07]\n", "").replace(
        "  - id: night-market\n", "  - id: golden-week\n    holidays: true\n  - id: night-market\n"
    )
    site = load_site(write_site(text))
    (warning,) = site.warnings
    assert warning.line == line_of_text(text, "holidays: true")


def test_checks_still_run_on_items_with_other_errors(write_site: WriteSite) -> None:
    # The zone has a bad importance AND crosses itself: both are reported in one run.
    text = VALID_SITE.replace(
        "importance: 5\n    polygon: [[104.0500, 35.1300], [104.0520, 35.1300], "
        "[104.0520, 35.1315], [104.0500, 35.1315]]",
        "importance: 9\n    polygon: [[104.0500, 35.1300], [104.0520, 35.1300], "
        "[104.0500, 35.1315], [104.0520, 35.1315]]",
    )
    problems = problems_of(write_site(text))
    find(problems, "zones[0].importance")
    find(problems, "crosses itself")


def test_zone_wholly_under_a_building_warns(write_site: WriteSite) -> None:
    # A small zone drawn inside the ticket hall's outline.
    inner = "[[104.05055, 35.13055], [104.05075, 35.13055], [104.05075, 35.13075]]"
    text = VALID_SITE.replace(
        "[[104.0530, 35.1300], [104.0550, 35.1300], [104.0550, 35.1320]]", inner
    )
    site = load_site(write_site(text))
    (warning,) = [w for w in site.warnings if "zones[1]" in w.text.en]
    assert warning.line == line_of_text(text, inner)
    assert "zones[1].polygon: lies wholly under obstacles" in warning.text.en
