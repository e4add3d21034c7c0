"""Scheduler election: one lease holder per site, on PostgreSQL and on an SQLite file alike."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import Engine

from gapwatch.runtime.leader import LeaseWatcher, SchedulerLease, lease_key
from gapwatch.storage import make_engine


def test_lease_keys_are_stable_and_per_site() -> None:
    assert lease_key("weiyuan-demo") == lease_key("weiyuan-demo")
    assert lease_key("weiyuan-demo") != lease_key("other-site")
    assert -(2**63) <= lease_key("weiyuan-demo") < 2**63


def test_only_one_holder_and_a_standby_takes_over(db_engine: Engine, db_url: str) -> None:
    site = f"site-{uuid.uuid4().hex[:8]}"
    first = SchedulerLease(db_engine, site)
    other_engine = make_engine(db_url)  # a second process has its own connections
    try:
        second = SchedulerLease(other_engine, site)
        assert first.acquire()
        assert not second.acquire()
        took_over = threading.Event()
        watcher = LeaseWatcher(second, took_over.set, interval_s=0.05)
        watcher.start()
        assert not took_over.wait(0.3)
        first.release()
        assert took_over.wait(10)
        watcher.stop()
        assert not SchedulerLease(db_engine, site).acquire()
        second.release()
    finally:
        other_engine.dispose()


@pytest.mark.postgres
def test_another_site_is_not_blocked(db_engine: Engine) -> None:
    a = SchedulerLease(db_engine, f"a-{uuid.uuid4().hex}")
    b = SchedulerLease(db_engine, f"b-{uuid.uuid4().hex}")
    try:
        assert a.acquire() and b.acquire()
    finally:
        a.release()
        b.release()
