"""`gapwatch probe` as a monitoring plugin: the real command, read by a third-party parser.

pynag's `PluginOutput` and `PerfData` (the parser of the pynag Nagios toolkit) split the output
into summary, long output and perfdata and validate each perfdata metric.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pynag.Utils import PerfData, PluginOutput

ROOT = Path(__file__).resolve().parents[2]
SCENES = ROOT / "sample_streams" / "scenes"
GAPWATCH = Path(sys.executable).with_name("gapwatch")
STATES = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GAPWATCH), "probe", *args], capture_output=True, text=True, timeout=60, check=False
    )


def assert_plugin_output(done: subprocess.CompletedProcess[str]) -> PluginOutput:
    """Whatever the outcome: the state word matches the exit status, perfdata parses."""
    assert done.returncode in STATES, done.stderr
    assert done.stdout.strip(), "a plugin always prints at least one line on stdout"
    first = done.stdout.splitlines()[0]
    assert re.match(rf"^GAPWATCH {STATES[done.returncode]} - \S", first), first
    out = PluginOutput(done.stdout)
    assert out.summary.startswith(f"GAPWATCH {STATES[done.returncode]} - ")
    perf = PerfData(out.perfdata)
    assert perf.is_valid(), out.perfdata
    for metric in perf.metrics:
        assert metric.is_valid(), metric
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("clip", "code", "fault"),
    [
        ("square_clean.mp4", 0, "no faults"),
        ("wall_black.mp4", 1, "black"),
        ("square_no_signal.mp4", 2, "no_signal"),
    ],
)
def test_state_word_fault_and_perfdata_on_the_first_line(clip: str, code: int, fault: str) -> None:
    done = run(str(SCENES / clip))
    assert done.returncode == code, done.stdout + done.stderr
    out = assert_plugin_output(done)
    assert f"{clip} {fault}:" in out.summary  # the source and its faults lead the summary
    labels = {m.label: m for m in PerfData(out.perfdata).metrics}
    assert labels["elapsed"].uom == "s"
    assert float(labels["elapsed"].value) > 0
    assert labels["frames"].value == "3"
    for score in (m for name, m in labels.items() if name.startswith("score_")):
        assert 0.0 <= float(score.value) <= 1.0
        assert (score.min, score.max) == ("0", "1")
    assert "状态" in out.long_output  # details, in both languages, after the first line


@pytest.mark.slow
def test_a_sheet_of_paper_is_a_warning_not_an_outage() -> None:
    done = run(
        str(SCENES / "square_occluded_paper.mp4"),
        "--reference",
        str(SCENES / "square_reference.jpg"),
    )
    out = assert_plugin_output(done)
    assert done.returncode == 1, done.stdout
    assert "occluded:" in out.summary


@pytest.mark.parametrize(
    "args", [["--timeout", "soon"], ["--format", "xml"], ["--reference", "/no/such.png"]]
)
def test_bad_arguments_are_unknown_on_stdout_too(args: list[str]) -> None:
    done = run(str(SCENES / "square_clean.mp4"), *args)
    assert done.returncode == 3
    out = assert_plugin_output(done)
    assert args[0] in out.summary
    assert args[0] in done.stderr


@pytest.mark.slow
def test_json_carries_a_score_for_every_listed_fault() -> None:
    done = run(str(SCENES / "wall_black.mp4"), "--format", "json")
    document = json.loads(done.stdout)
    assert done.returncode == 1
    assert document["status"] == "degraded"
    assert document["faults"] == ["black"]
    assert document["scores"]["black"] >= 0.65
    assert all(0.0 <= v <= 1.0 for v in document["scores"].values())
    assert {"metrics", "elapsed_s", "reason", "frames"} <= set(document)
