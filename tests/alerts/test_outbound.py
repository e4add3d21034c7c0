"""Dispatch targets: loopback and link-local refused unless GAPWATCH_DISPATCH_ALLOW names them,
checked on the address the name resolves to, with a real receiver on loopback."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from gapwatch.dispatch.delivery import deliver_due
from gapwatch.dispatch.outbound import OutboundPolicy
from gapwatch.storage import SessionFactory
from tests.alerts.test_delivery_isolation import T0, _queue, secrets
from tests.dispatch.receiver import running_receiver


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432/",
        "http://localhost:6379/",
        "http://[::1]:8080/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0:80/",
        "http://[::ffff:127.0.0.1]/",
        "http://127.1/",
    ],
)
def test_loopback_and_link_local_are_refused_by_default(url: str) -> None:
    refusal = OutboundPolicy.parse("").refusal(url)
    assert refusal is not None and "GAPWATCH_DISPATCH_ALLOW" in refusal


@pytest.mark.parametrize(
    ("allow", "url", "ok"),
    [
        ("127.0.0.1:9000", "http://127.0.0.1:9000/hook", True),
        ("127.0.0.1:9000", "http://127.0.0.1:5432/", False),
        ("localhost", "http://localhost:6379/", True),
        ("169.254.0.0/16", "http://169.254.169.254/", True),
        ("", "http://10.2.3.4/cad", True),  # a county CAD on the private network
        ("", "http://192.168.1.20:8080/cad", True),
    ],
)
def test_the_allow_list_names_hosts_ports_and_networks(allow: str, url: str, ok: bool) -> None:
    assert (OutboundPolicy.parse(allow).refusal(url) is None) is ok


def test_a_refused_target_is_never_contacted_and_goes_out_once_allowed(
    db_factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GAPWATCH_DISPATCH_ALLOW")
    with running_receiver() as receiver, httpx.Client(timeout=5) as client:
        _queue(db_factory, {"cad": receiver.url})
        refused = deliver_due(db_factory, client, now=T0, secrets=secrets)
        # Before: any host and port was POSTed to (127.0.0.1:5432 and :6379 among them).
        assert receiver.ids() == []
        (outcome,) = refused.outcomes
        assert outcome.outcome == "retry"
        assert outcome.error is not None and "loopback" in outcome.error
        later = T0 + dt.timedelta(minutes=1)
        port = receiver.url.split("/")[2]
        allowed = deliver_due(db_factory, client, now=later, secrets=secrets, allow=port)
        assert allowed.delivered == 1
        assert len(receiver.ids()) == 1
