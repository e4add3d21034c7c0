"""Health tracker: a probe that could not judge the picture (`unknown`) is no evidence."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from gapwatch.health.tracker import HealthTracker, Probe

T0 = dt.datetime(2026, 7, 30, 12, 0, tzinfo=dt.UTC)


def changes(statuses: list[str]) -> list[tuple[int, str, bool]]:
    tracker = HealthTracker(open_after=2, close_after=2)
    out = []
    for i, status in enumerate(statuses):
        probe = Probe(T0 + dt.timedelta(minutes=i), "cam-1", status)  # type: ignore[arg-type]
        change = tracker.observe(probe)
        if change is not None:
            out.append((i, change.state, change.flapping))
    return out


def test_unknown_probes_open_nothing() -> None:
    assert changes(["unknown"] * 30) == []


def test_unknown_neither_breaks_nor_extends_a_streak() -> None:
    assert changes(["ok", "offline", "unknown", "offline"]) == [(3, "offline", False)]
    assert changes(["ok", "offline", "unknown", "unknown", "ok", "offline"]) == []


@given(st.lists(st.sampled_from(["ok", "degraded", "offline", "unknown"]), max_size=40))
def test_unknown_probes_change_nothing_the_other_probes_decide(statuses: list[str]) -> None:
    # The changes are those of the same run with the unknown probes left out (at their times).
    judged = [(i, s) for i, s in enumerate(statuses) if s != "unknown"]
    expected = changes([s for _, s in judged])
    assert [(judged[i][0], state, flap) for i, state, flap in expected] == changes(statuses)
