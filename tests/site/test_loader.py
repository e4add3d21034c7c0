"""Loading a site file: the valid case, and every kind of unreadable file, with line numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from gapwatch.site import Site, SiteError, load_site, read_site
from tests.site.conftest import VALID_SITE
from tests.site.helpers import find, line_of_text, problems_of

WriteSite = Callable[..., Path]


def test_valid_site_loads_with_everything(write_site: WriteSite) -> None:
    path = write_site(VALID_SITE)
    site = load_site(path)
    assert isinstance(site, Site)
    assert site.id == "test-site"
    assert [z.id for z in site.spec.zones] == ["gate", "trail"]
    assert site.spec.cameras[1].ptz[1].range_m == 250
    assert site.spec.periods[0].start == dt.time(18, 30)
    assert site.spec.holidays == ["2026-10-01/2026-10-07"]
    assert site.path == path
    assert site.warnings == ()
    # The projection is centred on the middle of the site's extent.
    assert site.projection.lon0 == pytest.approx((104.0490 + 104.0560) / 2)
    assert site.projection.lat0 == pytest.approx((35.1290 + 35.1320) / 2)
    # Positions stay as written for a WGS84 file.
    assert site.spec.cameras[0].location == (104.0502, 35.1301)


def test_naive_maintenance_times_are_site_local(write_site: WriteSite) -> None:
    site = load_site(write_site(VALID_SITE))
    window = site.spec.maintenance[0]
    assert window.start == dt.datetime(2026, 10, 9, 0, 0, tzinfo=dt.UTC)
    assert window.end - window.start == dt.timedelta(hours=2)


def test_unquoted_time_is_not_read_as_base_60(write_site: WriteSite) -> None:
    # YAML 1.1 reads 18:30 as the integer 1110, which would become 00:18:30.
    path = write_site(VALID_SITE.replace('start: "18:30"', "start: 18:30"))
    assert load_site(path).spec.periods[0].start == dt.time(18, 30)


def test_schema_errors_point_at_their_lines(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("hfov_deg: 90", "hfov_deg: 400").replace(
        "    range_m: 120\n    ptz:", "    range_m: -5\n    ptz:"
    )
    path = write_site(text)
    problems = problems_of(path)
    hfov_line = line_of_text(text, "hfov_deg: 400")
    assert f"{path}:{hfov_line}: cameras[0].hfov_deg: must be > 0 and <= 360 (is 400)" in problems
    line, message = find(problems, "cameras[1].range_m")
    assert line == line_of_text(text, "range_m: -5")
    assert "must be >= 1 and <= 5000" in message


def test_unknown_key_names_its_line_and_a_likely_meaning(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("    group: pole-1\n", "    group: pole-1\n    hfvo_deg: 3\n")
    path = write_site(text)
    line, message = find(problems_of(path), "cameras[0].hfvo_deg")
    assert line == line_of_text(text, "hfvo_deg")
    assert "did you mean 'hfov_deg'" in message


def test_missing_key_points_at_the_item(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("    heading_deg: 0\n", "")
    path = write_site(text)
    line, message = find(problems_of(path), "cameras[1].heading_deg")
    assert line == line_of_text(text, "id: cam-002")
    assert message.endswith("is required")


def test_wrong_type_is_named_plainly(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("importance: 3", "importance: high")
    path = write_site(text)
    line, message = find(problems_of(path), "zones[1].importance")
    assert line == line_of_text(text, "importance: high")
    assert "must be a whole number" in message


def test_numeric_id_asks_for_quotes(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("id: unit-1", "id: 7")
    line, message = find(problems_of(write_site(text)), "patrol_units[0].id")
    assert line == line_of_text(text, "id: 7")
    assert "quotes" in message


def test_every_error_is_reported_at_once(write_site: WriteSite) -> None:
    text = (
        VALID_SITE.replace("importance: 5\n    polygon", "importance: 0\n    polygon")
        .replace("hfov_deg: 60", "hfov_deg: 0")
        .replace("kind: foot", "kind: horse")
        .replace("cameras: [cam-002]", "cameras: [cam-404]")
        .replace("days: [fri, sat]", "days: [fri, caturday]")
    )
    problems = problems_of(write_site(text))
    for needle in (
        "zones[0].importance",
        "cameras[1].hfov_deg:",
        "cameras[1].ptz[0].hfov_deg",
        "patrol_units[0].kind",
        "maintenance[0].cameras[0]",
        "periods[0].days[1]",
    ):
        find(problems, needle)
    assert len(problems) == 6


def test_yaml_syntax_error_gives_its_line(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("    name: trail\n", "    name: [trail\n", 1)
    problems = problems_of(write_site(text))
    assert len(problems) == 1
    line = int(problems[0].split(":")[1])
    # The parser notices the unclosed bracket on the line or just after it.
    opened = line_of_text(text, "name: [trail")
    assert opened <= line <= opened + 2
    assert "YAML syntax" in problems[0]


def test_tab_indentation_is_a_syntax_error_with_line(write_site: WriteSite) -> None:
    text = "site:\n  id: x\n\tname: y\n"
    problems = problems_of(write_site(text))
    assert problems[0].split(":")[1] == "3"


def test_duplicate_key_is_caught(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("    hfov_deg: 60\n", "    hfov_deg: 60\n    hfov_deg: 45\n")
    path = write_site(text)
    line, message = find(problems_of(path), "cameras[1].hfov_deg")
    assert line == line_of_text(text, "hfov_deg: 45")
    assert f"first on line {line_of_text(text, 'hfov_deg: 60')}" in message


def test_duplicate_top_level_section_is_caught(write_site: WriteSite) -> None:
    text = VALID_SITE + "zones: []\n"
    line, message = find(problems_of(write_site(text)), "written twice")
    assert line == len(text.splitlines())
    assert message.split(": ")[1] == "zones"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "file is empty"),
        ("# only a comment\n", "file is empty"),
        ("- a\n- b\n", "top level must be a mapping"),
        ("just words\n", "top level must be a mapping"),
    ],
)
def test_files_that_are_not_a_site(write_site: WriteSite, text: str, expected: str) -> None:
    problems = problems_of(write_site(text))
    assert len(problems) == 1
    assert expected in problems[0]


def test_missing_file(tmp_path: Path) -> None:
    problems = problems_of(tmp_path / "nope.yaml")
    assert problems == [f"{tmp_path / 'nope.yaml'}:1: file not found"]


def test_folder_instead_of_file(tmp_path: Path) -> None:
    assert "is a folder" in problems_of(tmp_path)[0]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("site:\n  id: x\n  name: 南门广场\n".encode("gbk"))
    assert problems_of(path) == [f"{path}:3: not UTF-8 text"]


def test_errors_come_in_both_languages(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("hfov_deg: 90", "hfov_deg: 400")
    with pytest.raises(SiteError) as caught:
        load_site(write_site(text))
    (zh,) = caught.value.render("zh")
    assert "cameras[0].hfov_deg: 必须 > 0 且 <= 360" in zh
    assert caught.value.render("en") == caught.value.problems


def test_read_site_collects_instead_of_raising(write_site: WriteSite) -> None:
    reading = read_site(write_site(VALID_SITE.replace("hfov_deg: 90", "hfov_deg: -1")))
    assert reading.spec is None
    assert len(reading.errors) == 1
    assert reading.errors[0].line == line_of_text(VALID_SITE, "hfov_deg: 90")


def test_empty_section_says_how_to_write_none(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("holidays: [2026-10-01/2026-10-07]\n", "holidays:\n")
    line, message = find(problems_of(write_site(text)), "holidays:")
    assert line == line_of_text(text, "holidays:")
    assert "write [] for none" in message


def test_yaml_anchors_and_merge_keys_share_camera_settings(write_site: WriteSite) -> None:
    # The first camera is anchored and merged into the second, which overrides some keys.
    text = VALID_SITE.replace("  - id: cam-001\n", "  - &cam1\n    id: cam-001\n").replace(
        "  - id: cam-002\n    name: trail\n", "  - <<: *cam1\n    id: cam-002\n    name: trail\n"
    )
    site = load_site(write_site(text))
    assert site.spec.cameras[1].group == "pole-1"  # from the merged camera
    assert site.spec.cameras[1].hfov_deg == 60  # its own value wins


def test_a_password_in_a_url_is_never_echoed(write_site: WriteSite) -> None:
    # A stream URL pasted into the id field by mistake: refused, without its password.
    text = VALID_SITE.replace("id: cam-002", "id: rtsp://admin:Hik12345@10.1.2.3/ch1")
    line, message = find(problems_of(write_site(text)), "cameras[1].id")
    assert line == line_of_text(text, "rtsp://admin")
    assert "Hik12345" not in message
    assert "rtsp://***@10.1.2.3/ch1" in message


def test_unclosed_quote_points_where_it_opened(write_site: WriteSite) -> None:
    # (A quoted text may span lines, so only a quote never closed is an error.)
    text = VALID_SITE.replace('"', "").replace("name: trail\n", 'name: "trail\n', 1)
    (problem,) = problems_of(write_site(text))
    assert problem.split(":")[1] == str(line_of_text(text, 'name: "trail'))
    assert "quoted scalar" in problem


def test_position_with_three_numbers(write_site: WriteSite) -> None:
    text = VALID_SITE.replace(
        "location: [104.0520, 35.1290]", "location: [104.0520, 35.1290, 2100]"
    )
    line, message = find(problems_of(write_site(text)), "patrol_units[0].location")
    assert line == line_of_text(text, "2100")
    assert "a position is [longitude, latitude] (got [104.052, 35.129, 2100])" in message


def test_maintenance_mixing_offset_and_local_time(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("end: 2026-10-09T10:00", "end: 2026-10-09T10:00+08:00")
    line, message = find(problems_of(write_site(text)), "maintenance[0]")
    assert line == line_of_text(text, "- id: m1")
    assert "both with a UTC offset" in message


def test_maintenance_with_offsets_is_kept_as_written(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("start: 2026-10-09T08:00", "start: 2026-10-09T08:00+00:00").replace(
        "end: 2026-10-09T10:00", "end: 2026-10-09T10:00+00:00"
    )
    window = load_site(write_site(text)).spec.maintenance[0]
    assert window.start == dt.datetime(2026, 10, 9, 8, 0, tzinfo=dt.UTC)
