"""`gapwatch schema` checked by an independent validator (check-jsonschema) against the project's
own site files, and agreeing with `gapwatch validate` on what a time is."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gapwatch.cli import app
from gapwatch.site.json_schema import site_json_schema
from tests.site.conftest import VALID_SITE

WriteSite = Callable[..., Path]
runner = CliRunner(env={"GAPWATCH_LANG": "en"})
REPO = Path(__file__).resolve().parents[2]
SITE_FILES = sorted((REPO / "config").rglob("*.yaml"))


@pytest.fixture(scope="module")
def schema_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    path = tmp_path_factory.mktemp("schema") / "site.schema.json"
    path.write_text(result.stdout, encoding="utf-8")
    return path


def _check(schema: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_site_file_in_config_passes_check_jsonschema(schema_file: Path) -> None:
    assert len(SITE_FILES) >= 3
    result = _check(schema_file, *SITE_FILES)
    # Before: `format: time` on "18:30" (RFC 3339 wants an offset) failed the demo site.
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_is_valid_draft_07(schema_file: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--check-metaschema", str(schema_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(schema_file.read_text(encoding="utf-8"))
    assert document["title"] == "gapwatch site file"
    assert "$defs" not in document


def _properties(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            yield f"{where}.{name}", prop
        for key, value in node.items():
            yield from _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _properties(item, f"{where}[{index}]")


def test_every_property_has_a_description() -> None:
    found = list(_properties(site_json_schema()))
    assert len(found) > 80
    missing = [where for where, prop in found if not str(prop.get("description", "")).strip()]
    assert missing == []


@pytest.mark.parametrize("written", ["18:30+08:00", "18:30:00Z", "25:00", "6pm"])
def test_schema_and_validate_both_refuse_a_time_that_is_not_local(
    write_site: WriteSite, schema_file: Path, written: str
) -> None:
    path = write_site(VALID_SITE.replace('start: "18:30"', f'start: "{written}"'))
    assert _check(schema_file, path).returncode == 1
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "periods[0].start" in result.stderr


def test_replay_refuses_a_time_with_an_offset_instead_of_crashing(
    write_site: WriteSite, tmp_path: Path
) -> None:
    # Before: validate accepted "18:30+08:00" and replay died comparing naive and aware times.
    path = write_site(VALID_SITE.replace('start: "18:30"', 'start: "18:30+08:00"'))
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"at": "2026-10-09T19:00:00+08:00", "camera": "cam-001", "status": "offline", '
        '"faults": ["no_signal"]}\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["replay", str(path), str(events), "--format", "json"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "periods[0].start" in result.stderr


@pytest.mark.parametrize("written", ["18:30", "00:30", "23:59:59"])
def test_local_times_load_as_naive_times(write_site: WriteSite, written: str) -> None:
    from gapwatch.site import load_site

    site = load_site(write_site(VALID_SITE.replace('start: "18:30"', f'start: "{written}"')))
    start = site.spec.periods[0].start
    assert start.tzinfo is None
    assert start.isoformat().startswith(written)
