"""The suite's order (tests/ordering.py): every worker's first share gets its part of the work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pytest

from tests.ordering import deal, share_sizes


@dataclass
class _Item:
    nodeid: str
    marks: tuple[str, ...] = ()

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.marks else None


def _suite() -> list[_Item]:
    items = [_Item(f"tests/a/test_{n // 10}.py::test_{n}") for n in range(400)]
    items += [_Item(f"tests/b/test_slow.py::test_{n}", ("slow",)) for n in range(24)]
    items += [_Item(f"tests/c/test_long.py::test_{n}", ("long", "slow")) for n in range(5)]
    items += [
        _Item(f"tests/d/test_ui_{m}.py::test_{n}", ("browser",)) for m in range(3) for n in range(6)
    ]
    return items


def test_shares_are_the_sizes_the_worksteal_scheduler_cuts() -> None:
    assert share_sizes(2666, 8) == [333, 333, 333, 333, 333, 333, 334, 334]
    assert sum(share_sizes(17, 4)) == 17


@pytest.mark.parametrize("workers", [1, 2, 4, 8])
def test_the_order_is_a_permutation_that_spreads_the_work(workers: int) -> None:
    items = _suite()
    order = cast(list[_Item], deal(cast(Any, items), workers))
    assert sorted(i.nodeid for i in order) == sorted(i.nodeid for i in items)
    if workers == 1:
        return
    shares, start = [], 0
    for size in share_sizes(len(order), workers):
        shares.append(order[start : start + size])
        start += size
    heavy = [sum(1 for i in share if "slow" in i.marks) for share in shares]
    assert max(heavy) - min(heavy) <= 5 + 1  # a long test weighs five slow ones
    for share in shares:  # each share starts with its heavy tests
        marked = [bool(i.marks) for i in share]
        assert marked == sorted(marked, reverse=True)
    # A module's browser tests share one Chromium: they stay on one worker.
    for m in range(3):
        holders = {n for n, share in enumerate(shares) for i in share if f"test_ui_{m}" in i.nodeid}
        assert len(holders) == 1
