"""Run large geometry batches on several threads.

shapely releases the GIL inside GEOS, so two threads working on separate arrays use two cores.
Small batches stay on the calling thread: starting threads costs more than they save.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["default_workers", "run_split"]

T = TypeVar("T")
R = TypeVar("R")

_MAX_DEFAULT_WORKERS = 2


def default_workers() -> int:
    """Threads for big batches: the machine's cores, at most two (the gain flattens after)."""
    return max(1, min(_MAX_DEFAULT_WORKERS, os.cpu_count() or 1))


def run_split(
    work: Callable[[Sequence[T]], R],
    items: Sequence[T],
    *,
    workers: int,
    min_batch: int,
    weight: Callable[[T], int] | None = None,
) -> list[R]:
    """`work` over `items` cut into up to `workers` batches (balanced by `weight`), in order.

    With one worker, or fewer than `min_batch` items per batch, `work` runs once on all items.
    """
    count = min(workers, len(items) // max(1, min_batch))
    if count <= 1:
        return [work(items)]
    weights = [weight(item) if weight else 1 for item in items]
    # Cut where the running weight comes nearest to each even share of the total.
    running = list(itertools.accumulate(weights))
    total = running[-1]
    cuts = [0]
    for share in range(1, count):
        goal = total * share / count
        best = min(range(cuts[-1], len(items)), key=lambda i: abs(running[i] - goal))
        cuts.append(best + 1)
    cuts.append(len(items))
    batches = [items[a:b] for a, b in itertools.pairwise(cuts)]
    batches = [b for b in batches if len(b)]
    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        return list(pool.map(work, batches))
