"""Wiring of the running service: site, store, coverage, alert engine, scheduler and delivery.

`build_service(settings)` constructs everything without starting a thread; `Service.start()`
starts the probe scheduler and the outbox worker; `Service.stop()` stops them so that nothing is
half-written. Probe verdicts go to one batching writer (`gapwatch.runtime.ingest`): one thread
writes everything waiting in one transaction, so an alert, its tasks and their outbox rows land
together or not at all, and stop writes what is queued before closing the store. Every few
seconds the service takes in what other processes on the same database did to alerts.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Engine

from gapwatch.alerts import AlertEngine
from gapwatch.coverage import CoverageModel
from gapwatch.crowd import HourRecord, LiveCrowd
from gapwatch.dispatch import (
    DEFAULT_SECRET_ENV,
    DeliveryWorker,
    configured_endpoints,
    secret_lookup,
    sync_endpoints,
    wake_on_commit,
)
from gapwatch.health import Probe
from gapwatch.platforms import PlatformSync
from gapwatch.runtime.baselines import BaselineBook
from gapwatch.runtime.crowd import CrowdLedger, live_crowd_for, load_normals, save_hours
from gapwatch.runtime.executor import LocalExecutor, ProbeFunction, ProbeRequest, SamplingExecutor
from gapwatch.runtime.ingest import (
    DEFAULT_LINGER_S,
    DEFAULT_MAX_BATCH,
    BatchWriter,
    WriterClosed,
)
from gapwatch.runtime.leader import LeaseWatcher, SchedulerLease
from gapwatch.runtime.metrics import ServiceMetrics
from gapwatch.runtime.retention import Pruned, Retention, prune
from gapwatch.runtime.scheduler import PeriodicTask, ProbeScheduler, ProbeTarget
from gapwatch.runtime.snapshot import SnapshotBook
from gapwatch.settings import Settings
from gapwatch.site import Camera, Site
from gapwatch.storage import (
    SessionFactory,
    make_engine,
    migrate,
    session_factory,
    transaction,
    utcnow,
)
from gapwatch.vision.redact import redact
from gapwatch.vision.stream_spec import StreamSpec
from gapwatch.vision.types import ProbeResult

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from gapwatch.vision import ProbePool

__all__ = [
    "AlertRefresher",
    "BackgroundWorker",
    "ProbeVerdict",
    "Service",
    "build_service",
    "probe_targets",
]

log = logging.getLogger(__name__)

ESCALATION_CHECK_S = 15.0
BASELINE_SAVE_S = 60.0
BASELINE_SYNC_S = 10.0
"""Seconds between looks for baselines another process changed (a reset on an API replica)."""
FREEZE_FROM_CAMERAS = 200
"""Sites with at least this many cameras set their long-lived objects aside from the collector."""
REFRESH_S = 2.0
"""Seconds between looks at what other processes did to alerts (acknowledged, resolved, …)."""
CROWD_SAMPLE_S = 60.0
"""Seconds between samples of the zones' crowd for the hourly record and the normals."""
RETENTION_S = 3600.0
"""Seconds between deletions of probe results and events past their keeping windows."""


@dataclass(frozen=True)
class ProbeVerdict:
    """One probe verdict on its way to the writer."""

    camera_id: str
    at: dt.datetime
    result: ProbeResult


class BackgroundWorker(Protocol):
    """A worker with its own thread, such as the outbox delivery worker."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def _camera_source(site: Site, camera: Camera) -> StreamSpec:
    # A URL stays as written; a plain path (and a password file) is relative to the site file's
    # folder. The password itself is read only by the decoder worker that connects.
    stream = camera.stream if "://" in camera.stream else str(site.resolve(camera.stream))
    password_file = camera.password_file
    if password_file is not None:
        password_file = str(site.resolve(password_file))
    return StreamSpec.from_text(
        stream,
        username=camera.username,
        password_env=camera.password_env,
        password_file=password_file,
        rtsp_transport=camera.rtsp_transport,
    )


def probe_targets(site: Site, settings: Settings) -> list[ProbeTarget]:
    """One probe target per camera: environment interval over the camera's, over the site's."""
    health = site.spec.health
    targets = []
    for camera in site.spec.cameras:
        interval = settings.probe_interval_s or camera.probe_interval_s or health.probe_interval_s
        targets.append(
            ProbeTarget(
                camera_id=camera.id,
                source=_camera_source(site, camera),
                interval_s=interval,
                timeout_s=min(health.probe_timeout_s, interval),
            )
        )
    return targets


@dataclass
class Service:
    """Everything one running gapwatch holds; built by `build_service`."""

    settings: Settings
    site: Site
    engine: Engine
    sessions: SessionFactory
    coverage: CoverageModel
    alerts: AlertEngine
    metrics: ServiceMetrics
    executor_factory: Callable[[], SamplingExecutor] | None = None
    probe_function: ProbeFunction | None = None
    workers: list[BackgroundWorker] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    baselines: BaselineBook | None = None
    scheduler: ProbeScheduler | None = None
    probe_pool: ProbePool | None = None
    lease: SchedulerLease | None = None
    lease_watcher: LeaseWatcher | None = None
    platform_sync: PlatformSync | None = None
    writer_batch: int = DEFAULT_MAX_BATCH
    writer_linger_s: float = DEFAULT_LINGER_S
    late_verdicts: int = 0
    """Verdicts left out because one stamped later was already taken in for their camera."""
    crowd: LiveCrowd | None = None
    crowd_ledger: CrowdLedger | None = None
    _handling: threading.Lock = field(default_factory=threading.Lock)
    writer: BatchWriter[ProbeVerdict] = field(init=False, repr=False)
    snapshots: SnapshotBook = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # The one live-coverage snapshot; the writer publishes after each commit.
        self.snapshots = SnapshotBook(self.coverage, self.alerts.live.healthy)
        self.writer = BatchWriter(
            self._write_verdicts,
            recover=self.resync,
            max_batch=self.writer_batch,
            linger_s=self.writer_linger_s,
            name="gapwatch-verdicts",
        )

    @cached_property
    def site_cameras(self) -> dict[str, Camera]:
        """The site's cameras by id."""
        return {camera.id: camera for camera in self.site.spec.cameras}

    def start(self) -> None:
        """Start the background workers, and probing when this process holds the lease."""
        for worker in self.workers:
            worker.start()
        if not (self.settings.scheduler and self.site.spec.cameras):
            return
        self.lease = SchedulerLease(self.engine, self.site.id)
        if self.lease.acquire():
            self._start_scheduler()
            return
        log.warning("another process schedules probes for this site; serving the API and waiting")
        self.lease_watcher = LeaseWatcher(
            self.lease, self._start_scheduler, interval_s=self.settings.lease_retry_s
        )
        self.lease_watcher.start()

    def _start_scheduler(self) -> None:
        with self._handling:
            if self.stopping.is_set() or self.scheduler is not None:
                return
            book = self.baselines
            periodic = [
                PeriodicTask("alert-tick", ESCALATION_CHECK_S, self.tick),
                PeriodicTask("retention", RETENTION_S, self.prune_history),
            ]
            if book is not None:
                periodic.append(PeriodicTask("baseline-save", BASELINE_SAVE_S, book.save))
                periodic.append(PeriodicTask("baseline-sync", BASELINE_SYNC_S, book.sync))
            if self.crowd is not None:
                periodic.append(PeriodicTask("crowd-sample", CROWD_SAMPLE_S, self.sample_crowd))
            if self.platform_sync is not None:
                periodic.extend(
                    PeriodicTask(job.name, job.interval_s, job.run)
                    for job in self.platform_sync.jobs()
                )
            self.scheduler = ProbeScheduler(
                targets=probe_targets(self.site, self.settings),
                executor=self._executor(),
                on_result=self._queue_probe,
                baseline_for=book.for_camera if book is not None else (lambda _c: None),
                periodic=periodic,
            )
            self.scheduler.start()
            if self.platform_sync is not None:
                # The first sync now rather than one interval after start-up; platform calls
                # have their own time-outs, and a failing platform is recorded, never raised.
                threading.Thread(
                    target=self.platform_sync.sync_all,
                    args=(utcnow(),),
                    name="gapwatch-platform-sync",
                    daemon=True,
                ).start()

    def _executor(self) -> SamplingExecutor:
        if self.executor_factory is not None:
            return self.executor_factory()
        if self.settings.executor == "celery":
            from gapwatch.runtime.celery_executor import celery_executor_for

            pose_for = self.crowd.pose if self.crowd is not None else None
            return celery_executor_for(self.site, self.settings, self.baselines, pose_for)
        workers = self.settings.probe_workers
        on_wait = self.metrics.probe_wait_seconds.observe
        if self.probe_function is not None:
            return LocalExecutor(self.probe_function, workers=workers, on_wait=on_wait)
        from gapwatch.vision import ProbePool, SamplingPlan

        judge = self.baselines.judge if self.baselines is not None else None
        pool = ProbePool(max_workers=workers, judge=judge)
        self.probe_pool = pool

        crowd = self.crowd
        plan = SamplingPlan(file_start=self.settings.file_playback)

        def run(request: ProbeRequest) -> ProbeResult:
            return pool.probe(
                request.source,
                timeout_s=request.timeout_s,
                baseline=request.baseline,
                plan=plan,
                pose=crowd.pose(request.camera_id) if crowd is not None else None,
            )

        return LocalExecutor(run, workers=workers, on_wait=on_wait)

    def stop(self) -> None:
        """Stop scheduling, let the verdict being written finish, stop workers, close the store."""
        self.stopping.set()
        if self.lease_watcher is not None:
            self.lease_watcher.stop()
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.probe_pool is not None:
            self.probe_pool.close()
        self.writer.stop()  # writes every verdict already queued
        for worker in reversed(self.workers):
            try:
                worker.stop()
            except Exception:
                log.exception("stopping %s failed", type(worker).__name__)
        with self._handling:  # waits for the transaction in progress, if any
            if self.crowd is not None:
                try:
                    self._store_hours(self.crowd.close_hour(), utcnow())
                except Exception:
                    log.exception("saving the crowd's hour failed")
            if self.baselines is not None:
                try:
                    self.baselines.save(utcnow())
                except Exception:
                    log.exception("saving baselines failed")
            if self.lease is not None:
                self.lease.release()
            self.engine.dispose()
        gc.unfreeze()  # what build_service set aside can be collected once it is garbage

    def submit_probe(
        self, camera_id: str, at: dt.datetime, result: ProbeResult
    ) -> Future[None] | None:
        """Queue one verdict for the writer and return at once; None once the service stops.

        The future is done when the verdict's batch committed (or it failed for good)."""
        self.metrics.probe_seconds.observe(result.elapsed_s)
        self.metrics.probes.labels(result.status).inc()
        if self.stopping.is_set():
            return None
        try:
            return self.writer.submit(ProbeVerdict(camera_id, at, result))
        except WriterClosed:
            return None

    def _queue_probe(self, camera_id: str, at: dt.datetime, result: ProbeResult) -> None:
        self.submit_probe(camera_id, at, result)

    def handle_probe(self, camera_id: str, at: dt.datetime, result: ProbeResult) -> None:
        """Feed one verdict through health tracking and alerts and wait until it is stored;
        raises what writing it raised (the other verdicts of its batch are kept)."""
        done = self.submit_probe(camera_id, at, result)
        if done is not None:
            done.result()

    def _write_verdicts(self, verdicts: Sequence[ProbeVerdict]) -> None:
        """One transaction for a batch of verdicts, in the order they came."""
        moved: set[str] = set()
        if self.crowd is not None:
            # Every verdict says what its camera sees: a count when healthy, nobody otherwise.
            for v in verdicts:
                if self.crowd.observe(v.camera_id, v.result.crowd):
                    moved.add(v.camera_id)
        counted_at = max((v.at for v in verdicts), default=None)
        # A probe that could not judge the picture is no evidence about the camera.
        verdicts = [v for v in verdicts if v.result.status != "unknown"]
        verdicts = self._in_time_order(verdicts)
        probes = [
            Probe(
                at=v.at, camera=v.camera_id, status=v.result.status, faults=tuple(v.result.faults)
            )
            for v in verdicts
        ]
        # The engine records status and faults; the numbers behind them are ours.
        details = [
            {
                "metrics": dict(v.result.metrics),
                "elapsed_s": v.result.elapsed_s,
                "reason": redact(v.result.reason) if v.result.reason else None,
            }
            for v in verdicts
        ]
        with self._handling:
            with transaction(self.sessions) as session:
                self.alerts.ingest(session, probes, details=details)
                if counted_at is not None and self.crowd_ledger is not None:
                    self.crowd_ledger.record(session, moved, at=counted_at)
                if moved and verdicts:
                    # Blind spots the crowd now fills are raised within this probe round.
                    at = max(v.at for v in verdicts)
                    self.alerts.regrade(session, at)
                    self.alerts.check_crowd(session, at)
            if self.crowd_ledger is not None:
                self.crowd_ledger.committed()
            self.snapshots.publish(self.alerts.live.healthy)

    def _in_time_order(self, verdicts: Sequence[ProbeVerdict]) -> list[ProbeVerdict]:
        """The verdicts without late ones: a result stamped before one already taken in for its
        camera (two results handed in at once from different threads) would fail the whole
        batch; it is left out and counted instead."""
        newest: dict[str, dt.datetime] = {}
        kept: list[ProbeVerdict] = []
        for verdict in verdicts:
            before = newest.get(verdict.camera_id)
            late = (
                verdict.at < before
                if before is not None
                else self.alerts.is_stale(verdict.camera_id, verdict.at)
            )
            if late:
                self.late_verdicts += 1
                log.info("left out a late verdict of %s at %s", verdict.camera_id, verdict.at)
                continue
            newest[verdict.camera_id] = verdict.at
            kept.append(verdict)
        return kept

    def sample_crowd(self, at: dt.datetime) -> None:
        """Add the zones' crowd now to the hour's record; store hours that ended."""
        if self.crowd is None:
            return
        with self._handling:
            if self.stopping.is_set():
                return
            self._store_hours(self.crowd.sample(at), at)

    def _store_hours(self, records: Sequence[HourRecord], at: dt.datetime) -> None:
        if not records or self.crowd is None:
            return
        with transaction(self.sessions) as session:
            save_hours(session, records, self.crowd.normals(), at=at)

    def prune_history(self, at: dt.datetime) -> Pruned:
        """Delete probe results and events older than the settings keep them (in batches,
        each under the writer lock)."""
        if self.stopping.is_set():
            return Pruned(0, 0)
        keep = Retention.days(self.settings.keep_probes_days, self.settings.keep_events_days)
        pruned = prune(self.sessions, keep, at, writing=lambda: self._handling)
        if pruned.probes or pruned.events:
            log.info(
                "retention: deleted %d probe results and %d events", pruned.probes, pruned.events
            )
        return pruned

    def tick(self, at: dt.datetime) -> None:
        """Periodic alert-engine work (escalations), in one transaction."""
        with self._handling:
            if self.stopping.is_set():
                return
            try:
                with transaction(self.sessions) as session:
                    self.alerts.check_escalations(session, now=at)
            except Exception:
                self.resync()
                raise

    @contextmanager
    def engine_transaction(self) -> Iterator[Session]:
        """One operator or dispatch action on the alert engine, as one transaction.

        Held against this process's refresh and probe writes: the engine changes its memory
        before the commit, so a refresh reading the store in between would undo the change in
        memory (a new silence dropped, a resolved alert taken back) until its next run."""
        with self._handling, transaction(self.sessions) as session:
            yield session

    def refresh_alerts(self, _at: dt.datetime | None = None) -> bool:
        """Take in what other processes did to alerts; True if the engine's memory changed."""
        with self._handling:
            if self.stopping.is_set():
                return False
            with transaction(self.sessions, write=False) as session:
                report = self.alerts.refresh(session)
                if self.crowd_ledger is not None:
                    self.crowd_ledger.follow(session)
        if report.changed:
            log.info(
                "alerts changed by another process: %d closed, %d new",
                len(report.closed),
                len(report.added),
            )
        return report.changed

    def resync(self) -> None:
        """Reload the alert engine's memory from the store."""
        # A rolled-back transaction leaves the engine's memory ahead of the store: reload it.
        try:
            with transaction(self.sessions, write=False) as session:
                self.alerts.reload(session)
            self.snapshots.publish(self.alerts.live.healthy)
        except Exception:
            log.exception("reloading the alert engine failed")

    def wake_delivery(self) -> None:
        """Tell the delivery worker that messages are waiting (called after a commit)."""
        for worker in self.workers:
            if isinstance(worker, DeliveryWorker):
                worker.wake()


class AlertRefresher:
    """Calls `refresh` every `interval_s` on its own thread (every service, prober or not)."""

    def __init__(self, refresh: Callable[[], object], *, interval_s: float = REFRESH_S) -> None:
        self._refresh = refresh
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="gapwatch-alert-refresh", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop after the look in progress."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10.0)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self._refresh()
            except Exception:
                log.exception("looking for alert changes made elsewhere failed")


def build_service(
    settings: Settings,
    *,
    site: Site | None = None,
    executor_factory: Callable[[], SamplingExecutor] | None = None,
    probe: ProbeFunction | None = None,
    writer_batch: int = DEFAULT_MAX_BATCH,
    writer_linger_s: float = DEFAULT_LINGER_S,
) -> Service:
    """Open and migrate the store, load the site, build coverage and the alert engine.

    Starts nothing: `Service.start()` does. `probe` replaces the vision probe in the local
    executor (a replay or a bench); `executor_factory` replaces the executor altogether.
    `writer_batch` caps the verdicts written per transaction (1: one transaction each).
    """
    if site is None:
        site = _load_site(settings)
    engine = make_engine(settings.db_url)
    try:
        migrate(engine)
        coverage = CoverageModel.from_site(site)
    except BaseException:
        engine.dispose()
        raise
    sessions = session_factory(engine)
    alerts = AlertEngine(site, coverage=coverage)
    crowd = live_crowd_for(site, coverage)
    ledger = CrowdLedger(crowd)
    alerts.follow_crowd(crowd.facts)
    try:
        with transaction(sessions) as session:
            crowd.restore(load_normals(session))
            ledger.follow(session)  # the counts the prober held when this process started
            endpoints = configured_endpoints(
                site.spec.dispatch.endpoints,
                dispatch_url=settings.dispatch_url,
                unsigned=settings.dispatch_unsigned,
            )
            sync_endpoints(session, endpoints)
            alerts.start(session, at=utcnow())
    except BaseException:
        engine.dispose()
        raise
    secret = settings.dispatch_secret
    delivery = DeliveryWorker(
        sessions,
        secrets=secret_lookup(
            {DEFAULT_SECRET_ENV: secret.get_secret_value()} if secret is not None else None
        ),
        allow=settings.dispatch_allow,
    )
    service = Service(
        settings=settings,
        site=site,
        engine=engine,
        sessions=sessions,
        coverage=coverage,
        alerts=alerts,
        metrics=ServiceMetrics.create(per_camera=settings.camera_metrics),
        executor_factory=executor_factory,
        probe_function=probe,
        workers=[delivery],
        baselines=BaselineBook(sessions, _references(site)),
        writer_batch=writer_batch,
        writer_linger_s=writer_linger_s,
        crowd=crowd,
        crowd_ledger=ledger,
    )
    service.workers.append(AlertRefresher(service.refresh_alerts))
    # The site, the coverage model and the engine's memory live as long as the process: move
    # them out of the collector's sight, or every full collection walks them again (with 500
    # cameras that was the largest single cost of writing a batch of verdicts with changes).
    # A small site's heap costs the collector little, and not collecting saves its start-up.
    if len(site.spec.cameras) >= FREEZE_FROM_CAMERAS:
        gc.collect()
        gc.freeze()
    # Every commit that queued a message wakes delivery, whichever part of the service wrote.
    wake_on_commit(sessions, service.wake_delivery)
    if site.spec.platforms:
        service.platform_sync = PlatformSync(
            spec=site.spec,
            default_interval_s=settings.platform_sync_s,
            secrets_file=settings.secrets_file,
        )
    return service


def _references(site: Site) -> dict[str, Path]:
    return {
        camera.id: site.resolve(camera.reference)
        for camera in site.spec.cameras
        if camera.reference is not None
    }


def _load_site(settings: Settings) -> Site:
    from gapwatch.site import SiteError, load_site

    if settings.site is None:
        raise SiteError(["no site file given: pass --site or set GAPWATCH_SITE"])
    return load_site(settings.site)
