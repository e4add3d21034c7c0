"""Live-coverage snapshots at county scale: what an API read costs after a few cameras change.

Builds the `bench/serve.py` site (50,000 cameras by default), then, for several rounds, takes a
handful of cameras down (or back up) and reads the new snapshot the way the API does: the
coverage result, the `/coverage` body and the `/blind-spots` body. Each round is timed twice in
the same process: computed from the previous snapshot (only the zones the changed cameras reach)
and from nothing (every zone, the straightforward baseline), and the ratio printed.

    .venv/bin/python bench/snapshot.py --cameras 50000 --rounds 5 --change 20
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serve import write_site

from gapwatch.api.coverage import _blind_spots_out, _coverage_out
from gapwatch.coverage import CoverageModel
from gapwatch.runtime.snapshot import SnapshotBook
from gapwatch.site import load_site


class _Service:
    """What the API's renderers read from the service: the site and the snapshots."""

    def __init__(self, site: object, snapshots: SnapshotBook) -> None:
        self.site = site
        self.snapshots = snapshots


def read(book: SnapshotBook, healthy: frozenset[str], service: _Service) -> tuple[float, float]:
    """(seconds for the result, seconds for both API bodies) of one fresh snapshot."""
    started = time.perf_counter()
    snap = book.publish(healthy)
    result = snap.result
    computed = time.perf_counter()
    snap.view("coverage", lambda s: _coverage_out(service, s.result))  # type: ignore[arg-type]
    snap.view("blind-spots", lambda s: _blind_spots_out(service, s.result))  # type: ignore[arg-type]
    assert result.healthy == healthy
    return computed - started, time.perf_counter() - computed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cameras", type=int, default=50000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--change", type=int, default=20, help="cameras changed per round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = load_site(write_site(Path(tmp), args.cameras, "synthetic", 25))
    built = time.perf_counter()
    model = CoverageModel.from_site(site)
    ids = list(model.camera_ids)
    book = SnapshotBook(model)
    service = _Service(site, book)
    healthy = frozenset(ids)
    first = read(book, healthy, service)
    print(
        f"{args.cameras} cameras, {len(model.zones)} zones: model "
        f"{time.perf_counter() - built:.1f} s, first snapshot {first[0]:.2f} s "
        f"+ bodies {first[1]:.2f} s"
    )
    rng = random.Random(7)
    down: set[str] = set()
    incremental: list[float] = []
    whole: list[float] = []
    bodies: list[float] = []
    for _ in range(args.rounds):
        for cam in rng.sample(ids, args.change):
            down.symmetric_difference_update({cam})
        healthy = frozenset(c for c in ids if c not in down)
        took, rendered = read(book, healthy, service)
        incremental.append(took)
        bodies.append(rendered)
        fresh = SnapshotBook(model, healthy)  # no earlier snapshot to start from
        started = time.perf_counter()
        assert fresh.current().result.blind_spots == book.current().result.blind_spots
        whole.append(time.perf_counter() - started)
    inc, base = statistics.median(incremental), statistics.median(whole)
    print(
        f"after {args.change} cameras change (median of {args.rounds}): from the previous "
        f"snapshot {inc * 1000:.0f} ms, from nothing {base * 1000:.0f} ms, ratio {inc / base:.3f}; "
        f"both API bodies {statistics.median(bodies) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
