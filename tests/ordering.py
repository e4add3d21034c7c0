"""The order the suite runs in: long tests spread over the workers, each worker's start first.

pytest-xdist's `worksteal` scheduler (the Makefile's) hands each of its W workers one contiguous
share of the collection, in order, and a worker that runs out takes the second half of the
longest queue left. Collected in plain order, one share would hold every long test and run them
one after another while the other workers stole its short tail. So the collection is dealt into
W shares of exactly the sizes the scheduler cuts: the long and marked tests go, heaviest first, to
the share with the least estimated work, and each share starts with them; the short tests then
fill the shares in their collected order, so a module's tests stay together.

Tests of one module that share a module-scoped browser are dealt together, so each worker
starts Chromium once for the module, not once per test.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import pytest

# Estimated cost by marker, in rough seconds of a loaded run (the figures only rank).
_COST = {"long": 30.0, "slow": 6.0, "browser": 4.0, "rtsp": 3.0}
_SHORT = 0.2
# Marked tests of these kinds share a module-scoped fixture (Chromium), so they stay together.
_TOGETHER = ("browser",)


def _cost(item: pytest.Item) -> float:
    for marker, cost in _COST.items():
        if item.get_closest_marker(marker):
            return cost
    return _SHORT


def share_sizes(count: int, workers: int) -> list[int]:
    """How many tests the worksteal scheduler first sends to each of `workers` idle workers."""
    sizes = []
    left = count
    for i in range(workers):
        size = left // (workers - i)
        sizes.append(size)
        left -= size
    return sizes


def deal(items: Sequence[pytest.Item], workers: int) -> list[pytest.Item]:
    """The collection in the order that gives each worker's first share a fair part of the work."""
    if workers <= 1 or len(items) < 2 * workers:
        return sorted(items, key=lambda item: -_cost(item))
    groups: dict[str, list[pytest.Item]] = {}
    short: list[pytest.Item] = []
    for item in items:
        cost = _cost(item)
        if cost == _SHORT:
            short.append(item)
            continue
        together = any(item.get_closest_marker(m) for m in _TOGETHER)
        key = item.nodeid.split("::")[0] if together else item.nodeid
        groups.setdefault(key, []).append(item)
    sizes = share_sizes(len(items), workers)
    shares: list[list[pytest.Item]] = [[] for _ in range(workers)]
    work = [0.0] * workers
    heavy = sorted(groups.values(), key=lambda g: -sum(_cost(i) for i in g))
    for group in heavy:
        # The share with the least work that still has room for the whole group.
        fits = [n for n in range(workers) if len(shares[n]) + len(group) <= sizes[n]]
        n = min(fits or range(workers), key=lambda k: (work[k], k))
        shares[n].extend(group)
        work[n] += sum(_cost(i) for i in group)
    rest = iter(short)
    out: list[pytest.Item] = []
    for n, share in enumerate(shares):
        out.extend(share)
        for _ in range(max(0, sizes[n] - len(share))):
            item = next(rest, None)
            if item is None:
                break
            out.append(item)
    out.extend(rest)
    return out


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Deal the selected tests (this runs after `-m` has selected them)."""
    items[:] = deal(items, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
