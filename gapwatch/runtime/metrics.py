"""Prometheus metrics of one running service, in its own registry (never the global one)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["ServiceMetrics"]

# Probes take from a fraction of a second (a file) to the full time-out (a dead camera).
_WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
_PROBE_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 30.0, 60.0)


@dataclass
class ServiceMetrics:
    """The service's metrics; gauges that mirror the store are refreshed at scrape time."""

    registry: CollectorRegistry
    probe_seconds: Histogram
    probe_wait_seconds: Histogram
    probes: Counter
    camera_states: Gauge
    open_alerts: Gauge
    outbox_backlog: Gauge

    @classmethod
    def create(cls) -> ServiceMetrics:
        """Fresh metrics in a fresh registry, so two apps in one process never collide."""
        registry = CollectorRegistry(auto_describe=True)
        return cls(
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
        )
