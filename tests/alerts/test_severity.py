"""Severity from zone importance at that time and blind area."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gapwatch.alerts.severity import LARGE_M2, SMALL_M2, assess, severity_name, severity_rank


def test_no_blind_ground_is_a_low_maintenance_matter() -> None:
    judged = assess({}, {"square": 5})
    assert (judged.name, judged.top_zone) == ("low", None)
    assert assess({"square": 0.5}, {"square": 5}, min_area_m2=2.0).name == "low"


def test_importance_sets_the_level_and_area_moves_it_one_step() -> None:
    assert assess({"square": 500.0}, {"square": 3}).name == "medium"
    assert assess({"square": 500.0}, {"square": 5}).name == "critical"
    assert assess({"square": SMALL_M2 / 2}, {"square": 3}).name == "low"
    assert assess({"square": LARGE_M2}, {"square": 3}).name == "high"
    assert assess({"square": LARGE_M2}, {"square": 5}).name == "critical"


def test_the_most_important_zone_that_lost_ground_counts() -> None:
    judged = assess({"car-park": 400.0, "gate": 30.0}, {"car-park": 2, "gate": 5})
    assert (judged.top_zone, judged.name) == ("gate", "critical")
    assert judged.weighted_m2 == 400.0 * 2 + 30.0 * 5


def test_names_and_ranks_round_trip() -> None:
    for rank in range(1, 6):
        assert severity_rank(severity_name(rank)) == rank


@given(
    st.dictionaries(st.sampled_from(["a", "b", "c"]), st.floats(0, 10_000)),
    st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(1, 5)),
    st.sampled_from(["a", "b", "c"]),
    st.floats(1, 5_000),
)
def test_more_loss_or_more_importance_never_lowers_severity(
    lost: dict[str, float], importance: dict[str, int], zone: str, extra: float
) -> None:
    base = assess(lost, importance)
    more = dict(lost)
    more[zone] = more.get(zone, 0.0) + extra
    assert assess(more, importance).rank >= base.rank
    raised = dict.fromkeys(importance, 5)
    assert assess(lost, {**importance, **raised}).rank >= base.rank
    assert 1 <= base.rank <= 5
