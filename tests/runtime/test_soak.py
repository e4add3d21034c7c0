"""A bounded run of bench/soak.py: a real `gapwatch serve` killed with -9 and restarted while
cameras break and are repaired and the receiver goes down; nothing may be lost (on PostgreSQL
too when set)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _soak(*extra: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "soak.py"), "--kills", "3", "--cameras", "4",
         "--min-up-s", "1", "--max-up-s", "4", "--drain-s", "120", *extra],
        capture_output=True, text=True, timeout=1500, cwd=REPO, check=False,
    )  # fmt: skip
    assert result.stdout, result.stderr[-3000:]
    report: dict[str, object] = json.loads(result.stdout)
    return report


@pytest.mark.long
@pytest.mark.slow
def test_kill_restart_soak_on_sqlite_loses_nothing() -> None:
    report = _soak()
    lost = report["lost"]
    assert isinstance(lost, dict)
    assert set(lost.values()) == {0}, report
    figures = report["figures"]
    assert isinstance(figures, dict) and figures["starts"] == 4


@pytest.mark.long
@pytest.mark.slow
@pytest.mark.postgres
def test_kill_restart_soak_on_postgresql_loses_nothing() -> None:
    url = os.environ.get("GAPWATCH_TEST_PG_URL")
    if not url:
        pytest.skip("GAPWATCH_TEST_PG_URL is not set")
    report = _soak("--db", url)
    lost = report["lost"]
    assert isinstance(lost, dict)
    assert set(lost.values()) == {0}, report
