"""Probe results per second through tracker → live coverage → alerts → outbox.

Part one runs one synthetic workload (cameras on poles over a grid of zones, outages of single
cameras and of whole poles, then recoveries) through the alert engine on SQLite and, when a URL
is given (`--pg` or GAPWATCH_TEST_PG_URL), on PostgreSQL. The baseline, measured in the same run
on the same workload, is the same engine with coverage recomputed from scratch on every state
change instead of updated incrementally. Goal: at least 2,000 results/s on SQLite.

Part two drives the service's own path: verdicts handed to `Service.submit_probe` from several
threads (as the probe executor's callbacks do), written by the batching writer, against the same
service writing one transaction per verdict (`writer_batch=1`, how the pipeline used to work),
in the same run.

    .venv/bin/python bench/alerts.py [--cameras 500] [--rounds 20] [--batch 50] [--pg URL]
                                     [--feeders 4] [--part engine|service|both]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import shapely
from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gapwatch.alerts import AlertEngine
from gapwatch.coverage import BlindSpot, CoverageModel, GapChange
from gapwatch.dispatch import EndpointSpec, sync_endpoints
from gapwatch.health import Probe
from gapwatch.site import Site
from gapwatch.site.models import SiteFile
from gapwatch.site.projection import LocalProjection
from gapwatch.storage import (
    AlertRow,
    Base,
    OutboxRow,
    make_engine,
    session_factory,
    transaction,
)

T0 = dt.datetime(2026, 7, 29, 1, 0, tzinfo=dt.UTC)
POLE_SIZE = 4


def synthetic_site(cameras: int, seed: int = 11) -> Site:
    """Cameras in fours on poles over a grid of zones, with roads and patrol units."""
    rng = random.Random(seed)
    proj = LocalProjection(104.2, 35.1)
    poles = max(1, cameras // POLE_SIZE)
    side = int(poles**0.5) + 1
    spacing = 60.0
    extent = side * spacing
    zones_per_side = 6
    zsize = extent / zones_per_side

    def ll(x: float, y: float) -> list[float]:
        return list(proj.to_lonlat(x, y))

    zones = []
    for i in range(zones_per_side):
        for j in range(zones_per_side):
            x0, y0 = i * zsize, j * zsize
            zones.append(
                {
                    "id": f"z{i}-{j}",
                    "name": f"zone {i}-{j}",
                    "importance": rng.randint(2, 5),
                    "polygon": [
                        ll(x0, y0),
                        ll(x0 + zsize, y0),
                        ll(x0 + zsize, y0 + zsize),
                        ll(x0, y0 + zsize),
                    ],
                }
            )
    cams: list[dict[str, Any]] = []
    for p in range(poles):
        px = (p % side) * spacing + spacing / 2
        py = (p // side) * spacing + spacing / 2
        for k in range(POLE_SIZE):
            if len(cams) >= cameras:
                break
            cams.append(
                {
                    "id": f"c{len(cams):05d}",
                    "name": f"camera {len(cams)}",
                    "stream": "rtsp://10.0.0.1/x",
                    "location": ll(px, py),
                    "heading_deg": (k * 90 + rng.uniform(-20, 20)) % 360,
                    "hfov_deg": rng.uniform(60, 110),
                    "range_m": rng.uniform(35, 55),
                    "group": f"pole-{p}",
                }
            )
    roads = [
        {"id": f"h{j}", "kind": "road", "line": [ll(0, j * spacing), ll(extent, j * spacing)]}
        for j in range(0, side + 1, 2)
    ] + [
        {"id": f"v{i}", "kind": "footpath", "line": [ll(i * spacing, 0), ll(i * spacing, extent)]}
        for i in range(0, side + 1, 2)
    ]
    units = [
        {
            "id": f"u{n}",
            "name": f"unit {n}",
            "kind": "vehicle" if n % 3 == 0 else "foot",
            "location": ll(rng.uniform(0, extent), rng.uniform(0, extent)),
        }
        for n in range(12)
    ]
    spec = SiteFile.model_validate(
        {
            "site": {"id": "bench", "name": "bench site"},
            "zones": zones,
            "cameras": cams,
            "roads": roads,
            "patrol_units": units,
            "periods": [{"id": "evening", "start": "18:00", "end": "23:00"}],
        }
    )
    return Site(spec, Path("bench.yaml"), proj)


def workload(site: Site, rounds: int, outage_share: float = 0.01, seed: int = 5) -> list[Probe]:
    """Every camera probed once a minute; outages of single cameras and whole poles."""
    rng = random.Random(seed)
    ids = [c.id for c in site.spec.cameras]
    groups: dict[str, list[str]] = {}
    for c in site.spec.cameras:
        groups.setdefault(str(c.group), []).append(c.id)
    bad_until: dict[str, int] = {}
    probes: list[Probe] = []
    step = 60.0 / len(ids)
    for r in range(rounds):
        # `outage_share` of cameras start an outage each minute; one in five takes its pole.
        for _ in range(max(1, round(len(ids) * outage_share))):
            victim = rng.choice(ids)
            length = rng.randint(3, 6)
            hit = (
                groups[next(g for g, m in groups.items() if victim in m)]
                if rng.random() < 0.2
                else [victim]
            )
            for cam in hit:
                bad_until[cam] = max(bad_until.get(cam, 0), r + length)
        for k, cam in enumerate(ids):
            at = T0 + dt.timedelta(seconds=r * 60 + k * step)
            down = bad_until.get(cam, -1) > r
            probes.append(
                Probe(at, cam, "offline" if down else "ok", ("no_signal",) if down else ())
            )
    return probes


class RecomputeLive:
    """Baseline live coverage: every change recomputes the whole site's blind ground."""

    def __init__(self, model: CoverageModel, healthy: Iterable[str]) -> None:
        self.model = model
        self._healthy = set(healthy)
        self._blind = self._compute()

    @property
    def healthy(self) -> frozenset[str]:
        return frozenset(self._healthy)

    def _compute(self) -> dict[str, Any]:
        result = self.model.compute(self._healthy, overlap=False)
        by_zone: dict[str, list[Any]] = {}
        for spot in result.blind_spots:
            by_zone.setdefault(spot.zone, []).append(spot.geometry)
        return {z: shapely.union_all(g) for z, g in by_zone.items()}

    def _change(
        self, cameras: tuple[str, ...], before: dict[str, Any], after: dict[str, Any]
    ) -> GapChange:
        importance = {z.id: z.importance for z in self.model.zones}
        pieces: list[BlindSpot] = []
        by_zone: dict[str, float] = {}
        for zone in set(before) | set(after):
            old, new = before.get(zone), after.get(zone)
            diff = (
                new
                if old is None
                else (shapely.Polygon() if new is None else shapely.difference(new, old))
            )
            if diff is None or diff.is_empty or diff.area <= 0:
                continue
            by_zone[zone] = float(diff.area)
            for part in shapely.get_parts(diff):
                if part.geom_type == "Polygon" and part.area >= self.model.min_blind_area_m2:
                    pieces.append(BlindSpot(zone, importance[zone], float(part.area), part))
        area = sum(by_zone.values())
        weighted = sum(a * importance[z] for z, a in by_zone.items())
        return GapChange(cameras, pieces, area, weighted, by_zone)

    def take_down(self, camera_ids: Iterable[str]) -> GapChange:
        ids = tuple(c for c in camera_ids if c in self._healthy)
        before = self._blind
        self._healthy -= set(ids)
        self._blind = self._compute()
        return self._change(ids, before, self._blind)

    def bring_up(self, camera_ids: Iterable[str]) -> GapChange:
        ids = tuple(c for c in camera_ids if c not in self._healthy)
        before = self._blind
        self._healthy |= set(ids)
        self._blind = self._compute()
        return self._change(ids, self._blind, before)


@contextmanager
def database(kind: str, pg_url: str | None) -> Iterator[str]:
    """A fresh database: a temp SQLite file, or a throw-away PostgreSQL schema."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="gapwatch-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    assert pg_url is not None
    from sqlalchemy.engine import make_url

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(pg_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run(
    site: Site, model: CoverageModel, probes: list[Probe], url: str, *, batch: int, baseline: bool
) -> dict[str, float]:
    """Feed `probes` through a fresh engine; results per second and what it raised."""
    db = make_engine(url)
    Base.metadata.create_all(db)
    sessions = session_factory(db)
    engine = AlertEngine(site, coverage=model)
    with transaction(sessions) as session:
        sync_endpoints(session, [EndpointSpec("cad", "http://127.0.0.1:9/hook")], now=T0)
        engine.start(session, at=T0)
    if baseline:
        engine.live = RecomputeLive(model, model.camera_ids)  # type: ignore[assignment]
    changes = 0
    cpu_started = time.process_time()
    started = time.perf_counter()
    for i in range(0, len(probes), batch):
        with transaction(sessions) as session:
            changes += len(engine.ingest(session, probes[i : i + batch]))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    with sessions() as session:
        alerts = session.scalar(select(func.count()).select_from(AlertRow)) or 0
        outbox = session.scalar(select(func.count()).select_from(OutboxRow)) or 0
    db.dispose()
    return {
        "results": len(probes),
        "seconds": elapsed,
        "per_s": len(probes) / elapsed,
        "per_cpu_s": len(probes) / cpu,
        "changes": changes,
        "alerts": alerts,
        "outbox": outbox,
    }


def run_service(
    site: Site, probes: list[Probe], url: str, *, writer_batch: int, feeders: int
) -> dict[str, float]:
    """Feed `probes` through a fresh service's submit_probe from `feeders` threads."""
    import threading
    from concurrent.futures import Future

    from gapwatch.runtime.pipeline import build_service
    from gapwatch.settings import Settings
    from gapwatch.vision.types import ProbeResult

    settings = Settings(
        db_url=url,
        scheduler=False,
        dispatch_url="http://127.0.0.1:9/hook",
        dispatch_unsigned=True,
    )
    service = build_service(settings, site=site, writer_batch=writer_batch)
    # Each camera stays on one feeder thread, as it stays on one probe at a time in service,
    # and the threads keep to the same probe round (a barrier), as real time keeps them.
    per_round = len(site.spec.cameras)
    Lane = list[list[tuple[str, dt.datetime, ProbeResult]]]
    lanes: list[Lane] = [[] for _ in range(feeders)]
    for start in range(0, len(probes), per_round):
        for lane in lanes:
            lane.append([])
        for p in probes[start : start + per_round]:
            verdict = ProbeResult(
                status=p.status, faults=list(p.faults), metrics={"luma_mean": 80.0}, elapsed_s=1.2
            )
            lanes[int(p.camera[1:]) % feeders][-1].append((p.camera, p.at, verdict))
    futures: list[Future[None] | None] = []
    lock = threading.Lock()
    barrier = threading.Barrier(feeders)

    def feed(lane: Lane) -> None:
        mine: list[Future[None] | None] = []
        for round_ in lane:
            barrier.wait()
            mine.extend(service.submit_probe(cam, at, verdict) for cam, at, verdict in round_)
        with lock:
            futures.extend(mine)

    cpu_started = time.process_time()
    started = time.perf_counter()
    threads = [threading.Thread(target=feed, args=(lane,)) for lane in lanes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failed = 0
    for f in futures:
        if f is None or f.exception() is not None:
            failed += 1
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    stats = service.writer.stats
    service.stop()
    db = make_engine(url)
    with session_factory(db)() as session:
        alerts = session.scalar(select(func.count()).select_from(AlertRow)) or 0
        outbox = session.scalar(select(func.count()).select_from(OutboxRow)) or 0
    db.dispose()
    return {
        "results": len(probes),
        "seconds": elapsed,
        "per_s": len(probes) / elapsed,
        "per_cpu_s": len(probes) / cpu,
        "failed": failed,
        "transactions": stats.batches,
        "largest": stats.largest_batch,
        "alerts": alerts,
        "outbox": outbox,
    }


def service_part(
    backend: str, pg: str | None, site: Site, probes: list[Probe], feeders: int, cap: int
) -> None:
    """Batching writer against one transaction per verdict, through the service."""
    with database(backend, pg) as url:
        batched = run_service(site, probes, url, writer_batch=cap, feeders=feeders)
    with database(backend, pg) as url:
        single = run_service(site, probes, url, writer_batch=1, feeders=feeders)
    print(f"\n[{backend}] service path: submit_probe from {feeders} threads → writer → store")
    for name, r in ((f"batching writer ({cap})", batched), ("one transaction each", single)):
        print(
            f"  {name:<24} {r['per_s']:>8.0f} results/s wall, {r['per_cpu_s']:>6.0f} per "
            f"CPU-second  ({r['seconds']:.2f} s; {r['transactions']:.0f} transactions, largest "
            f"{r['largest']:.0f}; {r['failed']:.0f} failed; {r['alerts']:.0f} alerts, "
            f"{r['outbox']:.0f} outbox rows)"
        )
    print(f"  ratio batching / one transaction each: {batched['per_s'] / single['per_s']:.1f}x")
    if backend == "sqlite":
        verdict = "meets" if batched["per_s"] >= 2000 else "misses"
        print(f"  goal >= 2,000 results/s on SQLite through the service: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=20, help="probe rounds (one per minute)")
    parser.add_argument("--batch", type=int, default=50, help="probe results per transaction")
    parser.add_argument(
        "--outages",
        type=float,
        default=0.01,
        help="share of cameras starting an outage each minute (0.01: a stress rate)",
    )
    parser.add_argument("--pg", default=os.environ.get("GAPWATCH_TEST_PG_URL"))
    parser.add_argument("--feeders", type=int, default=4, help="threads handing in verdicts")
    parser.add_argument("--writer-batch", type=int, default=200, help="the writer's batch cap")
    parser.add_argument("--part", choices=["engine", "service", "both"], default="both")
    args = parser.parse_args()

    print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    site = synthetic_site(args.cameras)
    t = time.perf_counter()
    model = CoverageModel.from_site(site)
    build_s = time.perf_counter() - t
    probes = workload(site, args.rounds, args.outages)
    print(
        f"site: {len(site.spec.cameras)} cameras on {len(site.spec.cameras) // POLE_SIZE} poles, "
        f"{len(site.spec.zones)} zones; coverage model built in {build_s:.2f} s"
    )
    print(f"workload: {len(probes)} probe results, {args.rounds} rounds, batch {args.batch}")
    backends = ["sqlite"] + (["postgresql"] if args.pg else [])
    for backend in backends:
        if args.part in ("service", "both"):
            service_part(backend, args.pg, site, probes, args.feeders, args.writer_batch)
        if args.part == "service":
            continue
        with database(backend, args.pg) as url:
            fast = run(site, model, probes, url, batch=args.batch, baseline=False)
        with database(backend, args.pg) as url:
            slow = run(site, model, probes, url, batch=args.batch, baseline=True)
        print(f"\n[{backend}]")
        for name, r in (("incremental", fast), ("baseline (recompute)", slow)):
            print(
                f"  {name:<21} {r['per_s']:>9.0f} results/s wall, {r['per_cpu_s']:>6.0f} per "
                f"CPU-second of this process  ({r['seconds']:.2f} s; "
                f"{r['changes']:.0f} state changes, {r['alerts']:.0f} alerts, "
                f"{r['outbox']:.0f} outbox rows)"
            )
        print(
            f"  ratio incremental / baseline: {fast['per_s'] / slow['per_s']:.1f}x wall, "
            f"{fast['per_cpu_s'] / slow['per_cpu_s']:.1f}x per CPU-second"
        )
        print(f"  state changes per 1,000 results: {1000 * fast['changes'] / fast['results']:.1f}")
        if backend == "sqlite":
            verdict = "meets" if fast["per_s"] >= 2000 else "misses"
            print(f"  goal >= 2,000 results/s on SQLite: {verdict}")
    load = os.getloadavg()[0]
    print(f"\nload average at the end: {load:.1f} on {os.cpu_count()} cores")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (max RSS): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
