"""Prometheus metrics of one running service, in its own registry (never the global one)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from gapwatch.coverage import CoverageModel
    from gapwatch.crowd import ZoneNow

__all__ = ["CameraReading", "CameraSeries", "ServiceMetrics", "exposition", "primary_zones"]

# Probes take from a fraction of a second (a file) to the full time-out (a dead camera).
_WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
_PROBE_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 30.0, 60.0)


@dataclass(frozen=True)
class CameraReading:
    """One camera's state for the per-camera series; `up` is None before its first verdict."""

    camera: str
    zone: str
    up: bool | None
    faults: tuple[str, ...] = ()
    platform_online: bool | None = None


def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
    return (
        GaugeMetricFamily(
            "gapwatch_camera_up",
            "1 while the camera's picture is judged healthy, 0 when degraded or offline; "
            "absent until its first verdict. zone: the most important zone it watches.",
            labels=["camera", "zone"],
        ),
        GaugeMetricFamily(
            "gapwatch_camera_fault",
            "1 for each fault the camera shows now (only present faults are exported).",
            labels=["camera", "code"],
        ),
        GaugeMetricFamily(
            "gapwatch_camera_platform_online",
            "1 when the video platform (WVP, ONVIF) calls the camera online, 0 when offline.",
            labels=["camera", "platform"],
        ),
    )


class CameraSeries(Collector):
    """Per-camera series, rebuilt from the latest readings at every scrape.

    A custom collector rather than labelled Gauges: a camera removed from the site simply stops
    being exported, with no stale child series left behind in the registry. It lives in its own
    registry so that its text, by far the largest part of a scrape at province scale
    (prometheus_client renders about 10-20 µs per series), is rendered again only when some
    camera's reading changed since the last scrape.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._readings: list[CameraReading] = []
        self._platforms: dict[str, str] = {}
        self._zones: dict[str, str] | None = None
        self._text: bytes | None = None
        self.renders = 0
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(self)

    def exposition(self) -> bytes:
        """The per-camera series in Prometheus text format (cached while nothing changed)."""
        with self._lock:
            cached = self._text
        if cached is not None:
            return cached
        text = generate_latest(self.registry)
        with self._lock:
            self._text = text
            self.renders += 1
        return text

    def refresh(
        self,
        *,
        cameras: Iterable[str],
        states: Mapping[str, tuple[str, Iterable[str]]],
        zones: Callable[[], Mapping[str, str]],
        platform_status: Mapping[str, str] | None = None,
        platforms: Mapping[str, str] | None = None,
    ) -> None:
        """Rebuild the readings from the site's cameras and their judged (status, faults).

        `zones` is asked once, on the first refresh (the site does not change while serving)."""
        with self._lock:
            if self._zones is None:
                self._zones = dict(zones())
            zone_of = self._zones
        status_of = platform_status or {}
        readings = []
        for camera in cameras:
            judged = states.get(camera)
            platform = status_of.get(camera)
            readings.append(
                CameraReading(
                    camera=camera,
                    zone=zone_of.get(camera, ""),
                    up=None if judged is None else judged[0] == "ok",
                    faults=() if judged is None else tuple(judged[1]),
                    platform_online=None if platform in (None, "unknown") else platform == "online",
                )
            )
        self.update(readings, platforms)

    def update(
        self, readings: Iterable[CameraReading], platforms: Mapping[str, str] | None = None
    ) -> None:
        """Replace the readings (and each camera's platform id) the next collect exports."""
        fresh = list(readings)
        with self._lock:
            owners = dict(platforms) if platforms is not None else self._platforms
            if fresh != self._readings or owners != self._platforms:
                self._readings, self._platforms, self._text = fresh, owners, None

    def describe(self) -> list[Metric]:
        return list(_families())

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            readings, platforms = self._readings, self._platforms
        up, fault, online = _families()
        for reading in readings:
            if reading.up is not None:
                up.add_metric([reading.camera, reading.zone], 1.0 if reading.up else 0.0)
            for code in reading.faults:
                fault.add_metric([reading.camera, code], 1.0)
            if reading.platform_online is not None:
                platform = platforms.get(reading.camera, "")
                online.add_metric(
                    [reading.camera, platform], 1.0 if reading.platform_online else 0.0
                )
        yield up
        yield fault
        yield online


def primary_zones(coverage: CoverageModel) -> dict[str, str]:
    """Each camera's most important zone (ties by zone id); "" for a camera that sees none."""
    zones: dict[str, str] = {}
    for index, camera_id in enumerate(coverage.camera_ids):
        seen = [coverage.zones[int(z)] for z in coverage.camera_zones(index)]
        best = min(seen, key=lambda zone: (-zone.importance, zone.id), default=None)
        zones[camera_id] = best.id if best is not None else ""
    return zones


@dataclass
class ServiceMetrics:
    """The service's metrics; gauges that mirror the store are refreshed at scrape time."""

    registry: CollectorRegistry
    """Service-wide series; the per-camera ones are in `cameras.registry` (see `exposition`)."""
    probe_seconds: Histogram
    probe_wait_seconds: Histogram
    probes: Counter
    camera_states: Gauge
    open_alerts: Gauge
    outbox_backlog: Gauge
    zone_people: Gauge | None = None
    zone_density: Gauge | None = None
    zone_normal: Gauge | None = None
    zone_surge: Gauge | None = None
    cameras: CameraSeries | None = None

    @classmethod
    def create(cls, *, per_camera: bool = True) -> ServiceMetrics:
        """Fresh metrics in a fresh registry, so two apps in one process never collide.

        `per_camera` adds one `gapwatch_camera_up` series per camera and one
        `gapwatch_camera_fault` series per present fault (GAPWATCH_CAMERA_METRICS=false drops them).
        """
        registry = CollectorRegistry(auto_describe=True)
        return cls(
            cameras=CameraSeries() if per_camera else None,
            registry=registry,
            probe_seconds=Histogram(
                "gapwatch_probe_seconds",
                "Time one camera probe took, seconds.",
                buckets=_PROBE_BUCKETS,
                registry=registry,
            ),
            probe_wait_seconds=Histogram(
                "gapwatch_probe_wait_seconds",
                "Time a due probe waited for a free worker, seconds (probe lag).",
                buckets=_WAIT_BUCKETS,
                registry=registry,
            ),
            probes=Counter(
                "gapwatch_probes",
                "Probe verdicts by status.",
                ["status"],
                registry=registry,
            ),
            camera_states=Gauge(
                "gapwatch_camera_states",
                "Cameras in each health state.",
                ["state"],
                registry=registry,
            ),
            open_alerts=Gauge(
                "gapwatch_open_alerts",
                "Alerts not yet resolved, by severity.",
                ["severity"],
                registry=registry,
            ),
            outbox_backlog=Gauge(
                "gapwatch_outbox_backlog",
                "Dispatch webhook messages waiting to be delivered.",
                registry=registry,
            ),
            zone_people=Gauge(
                "gapwatch_zone_people",
                "People the zone's healthy cameras count now (overlapping views counted once); "
                "absent while no healthy camera counts the zone.",
                ["zone"],
                registry=registry,
            ),
            zone_density=Gauge(
                "gapwatch_zone_people_per_m2",
                "People per square metre of the zone's watched ground, now.",
                ["zone"],
                registry=registry,
            ),
            zone_normal=Gauge(
                "gapwatch_zone_people_normal",
                "Usual people in the zone for this weekday and hour (site-local), once learned.",
                ["zone"],
                registry=registry,
            ),
            zone_surge=Gauge(
                "gapwatch_zone_crowd_surge",
                "1 while the zone's count is a surge against its normal, else 0.",
                ["zone"],
                registry=registry,
            ),
        )

    def show_crowd(self, zones: Iterable[ZoneNow]) -> None:
        """Set the per-zone crowd gauges; zones not counted now are dropped, not left stale."""
        gauges = (self.zone_people, self.zone_density, self.zone_normal, self.zone_surge)
        for gauge in gauges:
            if gauge is not None:
                gauge.clear()
        if self.zone_people is None or self.zone_density is None:
            return
        for z in zones:
            if not z.cameras:
                continue
            self.zone_people.labels(z.zone).set(z.people)
            self.zone_density.labels(z.zone).set(z.density_per_m2)
            if self.zone_normal is not None and z.normal is not None:
                self.zone_normal.labels(z.zone).set(z.normal)
            if self.zone_surge is not None:
                self.zone_surge.labels(z.zone).set(1.0 if z.trend == "surge" else 0.0)


def exposition(metrics: ServiceMetrics) -> bytes:
    """The whole scrape: the service-wide series, then the per-camera ones when kept."""
    text = generate_latest(metrics.registry)
    if metrics.cameras is not None:
        text += metrics.cameras.exposition()
    return text
