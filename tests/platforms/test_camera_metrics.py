"""Per-camera Prometheus series: exposition checked by prometheus_client's parser and promtool."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

from gapwatch.runtime.metrics import ServiceMetrics, exposition


def _refresh(metrics: ServiceMetrics, states: dict[str, tuple[str, list[str]]]) -> None:
    assert metrics.cameras is not None
    metrics.cameras.refresh(
        cameras=["cam-1", "cam-2", "cam-3", "南门-4"],
        states=states,
        zones=lambda: {"cam-1": "gate", "cam-2": "gate", "cam-3": "", "南门-4": "square"},
        platform_status={"cam-1": "online", "cam-2": "unknown"},
        platforms={"cam-1": "county", "cam-2": "county"},
    )


def _series(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


STATES = {
    "cam-1": ("degraded", ["black", "frozen"]),
    "cam-2": ("ok", []),
    "南门-4": ("offline", ["no_signal"]),
}


def test_series_per_camera_and_fault() -> None:
    metrics = ServiceMetrics.create()
    _refresh(metrics, STATES)
    series = _series(exposition(metrics).decode())
    assert series["gapwatch_camera_up"] == {
        (("camera", "cam-1"), ("zone", "gate")): 0.0,
        (("camera", "cam-2"), ("zone", "gate")): 1.0,
        (("camera", "南门-4"), ("zone", "square")): 0.0,
    }  # cam-3 has no verdict yet: no series rather than a made-up value
    assert set(series["gapwatch_camera_fault"]) == {
        (("camera", "cam-1"), ("code", "black")),
        (("camera", "cam-1"), ("code", "frozen")),
        (("camera", "南门-4"), ("code", "no_signal")),
    }
    assert series["gapwatch_camera_platform_online"] == {
        (("camera", "cam-1"), ("platform", "county")): 1.0
    }
    assert "gapwatch_probe_seconds_count" in series  # the service-wide series are still there


def test_rendered_again_only_when_something_changed() -> None:
    metrics = ServiceMetrics.create()
    assert metrics.cameras is not None
    _refresh(metrics, STATES)
    first = exposition(metrics)
    _refresh(metrics, dict(STATES))
    assert exposition(metrics) == first and metrics.cameras.renders == 1
    _refresh(metrics, {**STATES, "cam-2": ("degraded", ["blur"])})
    assert b'code="blur"' in exposition(metrics) and metrics.cameras.renders == 2
    gone = {k: v for k, v in STATES.items() if k != "cam-1"}
    _refresh(metrics, gone)
    assert b'code="black"' not in exposition(metrics)


def test_turned_off_exports_only_totals() -> None:
    metrics = ServiceMetrics.create(per_camera=False)
    text = exposition(metrics).decode()
    assert "gapwatch_camera_up" not in text and "gapwatch_camera_states" in text


@pytest.mark.skipif(shutil.which("promtool") is None, reason="Debian package prometheus")
def test_promtool_accepts_the_exposition() -> None:
    metrics = ServiceMetrics.create()
    _refresh(metrics, STATES)
    metrics.probes.labels("ok").inc()
    result = subprocess.run(
        ["promtool", "check", "metrics"],
        input=exposition(metrics),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode() + result.stdout.decode()
