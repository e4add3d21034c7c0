"""`gapwatch validate` and `gapwatch schema` as a technician runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from gapwatch.cli import app
from gapwatch.site import SiteFile
from tests.site.conftest import VALID_SITE
from tests.site.helpers import line_of_text

WriteSite = Callable[..., Path]
runner = CliRunner(env={"GAPWATCH_LANG": "en"})


def test_valid_site_prints_a_bilingual_summary(write_site: WriteSite) -> None:
    result = runner.invoke(app, ["validate", str(write_site(VALID_SITE))])
    assert result.exit_code == 0
    assert result.stderr == ""
    (line,) = result.stdout.splitlines()
    assert line.startswith("test-site: valid; 2 zones, 2 cameras, 1 obstacle, 1 patrol unit")
    assert "2 个区域，2 台摄像机" in line


def test_invalid_site_lists_file_line_problems_and_exits_2(write_site: WriteSite) -> None:
    text = VALID_SITE.replace("hfov_deg: 90", "hfov_deg: 400").replace("kind: foot", "kind: x")
    path = write_site(text)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"{path}:{line_of_text(text, 'hfov_deg: 400')}: "
        "cameras[0].hfov_deg: must be > 0 and <= 360 (is 400)"
    )
    assert lines[1].startswith(f"{path}:{line_of_text(text, 'kind: x')}: patrol_units[0].kind")
    assert "2 problem(s)" in lines[-1]
    assert "Traceback" not in result.stderr


def test_chinese_messages(write_site: WriteSite) -> None:
    path = write_site(VALID_SITE.replace("hfov_deg: 90", "hfov_deg: 400"))
    result = runner.invoke(app, ["validate", str(path), "--lang", "zh"])
    assert result.exit_code == 2
    assert "cameras[0].hfov_deg: 必须 > 0 且 <= 360（当前为 400）" in result.stderr


def test_warnings_are_printed_but_do_not_fail(write_site: WriteSite) -> None:
    path = write_site(VALID_SITE.replace("rtsp://127.0.0.1:8554/cam2", "clips/missing.mp4"))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0
    (warning,) = result.stderr.splitlines()
    assert warning.startswith(f"{path}:{line_of_text(VALID_SITE, 'cam2')}: warning: ")
    assert "clips/missing.mp4" in warning


def test_missing_file_exits_2_without_traceback(tmp_path: Path) -> None:
    # The real console script, as a technician would run it.
    gapwatch = Path(sys.executable).parent / "gapwatch"
    missing = tmp_path / "missing.yaml"
    done = subprocess.run(
        [str(gapwatch), "validate", str(missing)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == f"{missing}:1: file not found"
    assert "Traceback" not in done.stderr


def test_yaml_syntax_error_exits_2(write_site: WriteSite) -> None:
    result = runner.invoke(app, ["validate", str(write_site("site: [\n"))])
    assert result.exit_code == 2
    assert "YAML syntax" in result.stderr


def test_schema_is_the_site_file_json_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert document["properties"].keys() == SiteFile.model_json_schema()["properties"].keys()
    # Positions use the draft-07 tuple form that yaml-language-server checks.
    location = document["definitions"]["Camera"]["properties"]["location"]
    assert location["items"] == [{"type": "number"}, {"type": "number"}]
    assert "prefixItems" not in result.stdout
    camera = document["definitions"]["Camera"]
    assert camera["additionalProperties"] is False
    assert camera["properties"]["hfov_deg"]["exclusiveMinimum"] == 0
    assert camera["properties"]["hfov_deg"]["maximum"] == 360
    assert document["required"] == ["site"]
