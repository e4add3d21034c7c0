"""Loading a site file: the valid case and schema errors with their line numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from gapwatch.site import Site, SiteError, load_site
from tests.site.conftest import VALID_SITE

WriteSite = Callable[..., Path]


def _problems(path: Path) -> list[str]:
    with pytest.raises(SiteError) as caught:
        load_site(path)
    return caught.value.problems


def _line_of(problems: list[str], needle: str) -> int:
    hits = [p for p in problems if needle in p]
    assert hits, f"no problem mentions {needle!r}: {problems}"
    return int(hits[0].split(":")[1])


def test_valid_site_loads_with_everything(write_site: WriteSite) -> None:
    path = write_site(VALID_SITE)
    site = load_site(path)
    assert isinstance(site, Site)
    assert site.id == "test-site"
    assert [z.id for z in site.spec.zones] == ["gate", "trail"]
    assert site.spec.cameras[1].ptz[1].range_m == 250
    assert site.spec.periods[0].start == dt.time(18, 30)
    assert site.path == path
    assert site.warnings == ()
    # The projection is centred inside the site's extent.
    assert 104.049 < site.projection.lon0 < 104.056
    assert 35.129 < site.projection.lat0 < 35.132
    # Naive maintenance times are the site's local time.
    start = site.spec.maintenance[0].start
    assert start.utcoffset() == dt.timedelta(hours=8)


def test_unquoted_time_is_not_read_as_base_60(write_site: WriteSite) -> None:
    # YAML 1.1 reads 18:30 as the integer 1110; the loader must keep it a time.
    path = write_site(VALID_SITE.replace('start: "18:30"', "start: 18:30"))
    assert load_site(path).spec.periods[0].start == dt.time(18, 30)


def test_schema_errors_point_at_their_lines(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("hfov_deg: 90", "hfov_deg: 400").replace(
        "    range_m: 120\n    ptz:", "    range_m: -5\n    ptz:"
    )
    path = write_site(text)
    problems = _problems(path)
    lines = text.splitlines()
    hfov = _line_of(problems, "cameras[0].hfov_deg")
    assert lines[hfov - 1].strip() == "hfov_deg: 400"
    assert f"{path}:{hfov}: cameras[0].hfov_deg: must be > 0 and <= 360 (is 400)" in problems
    rng = _line_of(problems, "cameras[1].range_m")
    assert lines[rng - 1].strip() == "range_m: -5"
    assert all(p.startswith(f"{path}:") for p in problems)
