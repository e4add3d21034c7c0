"""Hostile and absurd site files are refused quickly, with FILE:LINE messages, not loaded."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gapwatch.site import load_site, read_site
from gapwatch.site.limits import MAX_SECTION_ITEMS
from gapwatch.site.models import MAX_VERTICES
from tests.site.conftest import VALID_SITE
from tests.site.helpers import find, line_of_text, problems_of

WriteSite = Callable[..., Path]


def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    names = "abcdefghijklmnop"
    lines = [f"{names[0]}: &{names[0]} [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, levels):
        refs = ", ".join([f"*{names[level - 1]}"] * width)
        lines.append(f"{names[level]}: &{names[level]} [{refs}]")
    return VALID_SITE + "x-bomb:\n" + "".join(f"  {line}\n" for line in lines)


def _merge_bomb(levels: int = 8) -> str:
    lines = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}"]
    for level in range(1, levels + 1):
        keys = ", ".join(f"k{j}: {{<<: *m{level - 1}}}" for j in range(10))
        lines.append(f"m{level}: &m{level} {{{keys}}}")
    return VALID_SITE + "x-bomb:\n" + "".join(f"  {line}\n" for line in lines)


def _validate_in_child(path: Path, memory_mb: int) -> subprocess.CompletedProcess[str]:
    """`gapwatch validate` in a process capped at `memory_mb` of address space."""

    def cap() -> None:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "gapwatch.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=cap,
        check=False,
    )


@pytest.mark.parametrize("bomb", [_alias_bomb, _merge_bomb], ids=["aliases", "merge-keys"])
def test_alias_bombs_are_refused_within_a_small_memory_budget(
    write_site: WriteSite, bomb: Callable[[], str]
) -> None:
    text = bomb()
    assert len(text.encode()) < 3000
    path = write_site(text)
    # Before the budget this reached 5.8 GB (aliases) and 3 GB (merge keys).
    result = _validate_in_child(path, memory_mb=1500)
    assert result.returncode == 2, result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{path}:")
    assert "YAML aliases: aliases expand the document to" in first
    line = int(first.split(":")[1])
    assert line > len(VALID_SITE.splitlines())  # points into the bomb, not at line 1


def test_a_few_aliases_are_still_fine(write_site: WriteSite) -> None:
    text = VALID_SITE.replace(
        "    ptz:\n      - {id: wide,", "    ptz:\n      - &wide {id: wide,"
    ).replace("  - id: cam-002\n", "  - id: cam-002\n")
    text = text.replace(
        "      - {id: tele, heading_deg: 10, hfov_deg: 20, range_m: 250}\n",
        "      - {<<: *wide, id: tele, range_m: 250}\n",
    )
    site = load_site(write_site(text))
    assert [p.range_m for p in site.spec.cameras[1].ptz] == [120, 250]


def test_an_alias_inside_itself_is_refused(write_site: WriteSite) -> None:
    path = write_site(VALID_SITE + "x-loop: &loop [1, *loop]\n")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:{len(VALID_SITE.splitlines()) + 1}:")
    assert "refers to the value that contains it" in problem


def test_a_file_past_the_size_limit_is_refused_unread(
    write_site: WriteSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gapwatch.site.loader.MAX_SITE_FILE_BYTES", 4096)
    path = write_site(VALID_SITE + "# " + "x" * 5000 + "\n")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:1:")
    assert "a site file may be at most" in problem


@pytest.mark.long
@pytest.mark.slow
def test_a_million_obstacles_are_refused_before_validation(write_site: WriteSite) -> None:
    count = MAX_SECTION_ITEMS["obstacles"] + 1
    text = VALID_SITE.replace("obstacles:\n", "obstacles:\n" + "  - {}\n" * count)
    path = write_site(text)
    started = time.process_time()
    problems = problems_of(path)
    assert time.process_time() - started < 30  # guard against a hang, not a timing claim
    line, message = find(problems, f"{count + 1:,} items")
    assert line == line_of_text(text, "obstacles:")
    assert f"at most {MAX_SECTION_ITEMS['obstacles']:,}" in message


@pytest.mark.slow
def test_a_zone_with_too_many_points_is_refused_by_line(write_site: WriteSite) -> None:
    # Before: a 100k-vertex self-crossing zone kept validate busy for more than 300 s.
    n = MAX_VERTICES + 1
    points = ", ".join(
        f"[{104.05 + (i % 2) * 0.001:.6f}, {35.13 + i * 1e-7:.7f}]" for i in range(n)
    )
    text = VALID_SITE.replace(
        "  - id: trail\n    name: trail\n    importance: 3\n    polygon: [[104.0530, 35.1300], "
        "[104.0550, 35.1300], [104.0550, 35.1320]]",
        f"  - id: trail\n    name: trail\n    importance: 3\n    polygon: [{points}]",
    )
    path = write_site(text)
    line, message = find(problems_of(path), "zones[1].polygon")
    assert line == line_of_text(text, "polygon: [[104.050000")
    assert f"{n:,} points; at most {MAX_VERTICES:,}" in message


@pytest.mark.parametrize(
    ("old", "new", "where", "says"),
    [
        ("  name: 测试站点 test site", "  name: " + "长" * 201, "site.name", "at most 200"),
        ("  name: 测试站点 test site", '  name: "a\\r\\nb"', "site.name", "U+000D"),
        ("    name: 景区入口 gate", '    name: "gate\\u0007"', "zones[0].name", "U+0007"),
        ("    range_m: 80", "    range_m: 1e-300", "cameras[0].range_m", ">= 1 and <= 5000"),
        ("    range_m: 80", "    range_m: .inf", "cameras[0].range_m", "finite"),
        ("range_m: 250}", "range_m: .inf}", "cameras[1].ptz[1].range_m", "finite"),
        ("range_m: 250}", "range_m: 1e9}", "cameras[1].ptz[1].range_m", "<= 5000"),
        ("    height_m: 6", "    height_m: .nan", "obstacles[0].height_m", "finite"),
        ('    start: "18:30"', '    start: "18:30+08:00"', "periods[0].start", "UTC offset"),
        ('    start: "18:30"', '    start: "25:00"', "periods[0].start", "HH:MM"),
        (
            "    start: 2026-10-09T08:00",
            "    start: 0001-01-01T00:00",
            "maintenance[0].start",
            "2000 and 2200",
        ),
    ],
)
def test_absurd_values_are_refused_at_their_line(
    write_site: WriteSite, old: str, new: str, where: str, says: str
) -> None:
    assert old in VALID_SITE
    text = VALID_SITE.replace(old, new, 1)
    line, message = find(problems_of(write_site(text)), where)
    assert line == line_of_text(text, new.strip()[:12])
    assert says in message


@pytest.mark.parametrize(
    ("section", "says"),
    [
        ("health:\n  probe_interval_s: .inf\n", "finite"),
        ("health:\n  probe_interval_s: 1e-300\n", ">= 1"),
        ("health:\n  escalate_after_min: {5: .nan}\n", "finite"),
        ("health:\n  escalate_after_min: {9: 5}\n", "<= 5"),
        ("coverage:\n  min_blind_area_m2: .inf\n", "finite"),
        ("dispatch:\n  endpoints:\n    - {id: cad, url: 'https://a.example/'}\n", "unsigned"),
        (
            'dispatch:\n  endpoints:\n    - {id: cad, url: "https://a.example/\\r\\nX: 1", '
            "secret_env: CAD}\n",
            "U+000D",
        ),
    ],
)
def test_settings_out_of_bounds_are_refused(write_site: WriteSite, section: str, says: str) -> None:
    text = VALID_SITE + section
    problems = problems_of(write_site(text))
    assert len(problems) == 1, problems
    assert says in problems[0]
    assert int(problems[0].split(":")[1]) == len(text.splitlines())


def test_an_unsigned_endpoint_is_accepted_when_marked(write_site: WriteSite) -> None:
    text = VALID_SITE + (
        "dispatch:\n  endpoints:\n    - {id: cad, url: 'https://a.example/', unsigned: true}\n"
    )
    site = load_site(write_site(text))
    assert site.spec.dispatch.endpoints[0].unsigned


def test_zones_across_the_antimeridian_or_the_whole_earth_are_refused(
    write_site: WriteSite,
) -> None:
    whole_earth = "[[-180, -90], [180, -90], [180, 90], [-180, 90]]"
    text = VALID_SITE.replace(
        "[[104.0530, 35.1300], [104.0550, 35.1300], [104.0550, 35.1320]]", whole_earth
    )
    line, message = find(problems_of(write_site(text)), "zones[1].polygon")
    assert line == line_of_text(text, whole_earth)
    assert "spans about 20,0" in message

    fiji = (
        "site: {id: fiji, name: Fiji}\n"
        "zones:\n"
        "  - {id: z, name: z, importance: 3, polygon: "
        "[[179.9995, -16.5], [-179.9995, -16.5], [-179.9995, -16.499], [179.9995, -16.499]]}\n"
    )
    line, message = find(problems_of(write_site(fiji, "fiji.yaml")), "zones[0].polygon")
    assert line == 3
    assert "antimeridian" in message


def test_the_demo_and_examples_stay_valid() -> None:
    for path in sorted(Path("config").rglob("*.yaml")):
        reading = read_site(path)
        assert reading.errors == [], (path, [p.render() for p in reading.errors])
