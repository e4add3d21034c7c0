"""Delivering the outbox: claim due messages, POST them signed, record what the receiver said.

One pass (`deliver_due`) works in three steps so that no lock or transaction is held while
waiting on the network:

1. claim: in one short transaction, take the due messages (PostgreSQL: `FOR UPDATE SKIP
   LOCKED`, so several workers never take the same one), count the attempt and push
   `next_attempt_at` out by a lease. A process killed after this point simply finds the
   message due again once the lease runs out: the crash counts as a failed attempt.
2. send: POST the stored body with a fresh `webhook-timestamp` and signature and the row id
   as `webhook-id`.
3. record: in one transaction per message, and only if nobody re-claimed it meanwhile, mark it
   delivered, schedule the retry (Standard Webhooks schedule, or `Retry-After` if longer),
   give up (dead), or — on 410 Gone — disable the endpoint and hold back its messages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import logging
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Literal

import httpx
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from gapwatch.dispatch.outbound import OutboundPolicy
from gapwatch.dispatch.outbox import SecretLookup, disable_endpoint, secret_lookup
from gapwatch.dispatch.transport import attempt_deadline, dispatch_client
from gapwatch.dispatch.webhooks import WebhookSecretError, signed_headers
from gapwatch.storage import (
    DispatchEndpointRow,
    EventRow,
    OutboxRow,
    SessionFactory,
    transaction,
    utcnow,
)

__all__ = [
    "STANDARD_RETRY_DELAYS_S",
    "DeliveryOutcome",
    "DeliveryReport",
    "DeliveryWorker",
    "RetryPolicy",
    "deliver_due",
]

log = logging.getLogger(__name__)

STANDARD_RETRY_DELAYS_S: tuple[float, ...] = (
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    14 * 3600,
    20 * 3600,
    24 * 3600,
)
"""Waits after each failed attempt: the first try is immediate, then 5 s, 5 min, … 24 h."""

USER_AGENT = "gapwatch-dispatch/1"
PASS_WAIT_S = 1.0
"""How long the delivery worker's pass waits for a slow lane before going on without it."""
_ERROR_TEXT_LIMIT = 300

Outcome = Literal["delivered", "retry", "dead", "disabled", "released"]


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """When to try again, when to give up, and how long a claim lasts."""

    delays_s: tuple[float, ...] = STANDARD_RETRY_DELAYS_S
    # A claimed message is left alone this long; it must outlast one HTTP request.
    claim_s: float = 60.0
    max_retry_after_s: float = 24 * 3600
    # After a failure that looks like the receiver is down, leave the whole endpoint alone this
    # long (at most), so a dead receiver gets one probe per pause, not one per queued message.
    endpoint_pause_s: float = 60.0

    @property
    def max_attempts(self) -> int:
        """Attempts in all: the immediate one plus one per delay."""
        return len(self.delays_s) + 1

    def delay_after(self, attempts: int) -> float | None:
        """Seconds to wait after `attempts` failed attempts; None once they are used up."""
        if attempts < 1 or attempts > len(self.delays_s):
            return None
        return self.delays_s[attempts - 1]


@dataclasses.dataclass(frozen=True)
class DeliveryOutcome:
    """What happened to one message in one pass."""

    msg_id: str
    endpoint_id: str
    outcome: Outcome
    attempt: int
    status_code: int | None = None
    error: str | None = None


@dataclasses.dataclass
class DeliveryReport:
    """The result of one delivery pass."""

    outcomes: list[DeliveryOutcome] = dataclasses.field(default_factory=list)
    disabled_endpoints: list[str] = dataclasses.field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        """How many messages ended this pass with `outcome`."""
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    @property
    def delivered(self) -> int:
        """Messages the receiver accepted (2xx) in this pass."""
        return self.count("delivered")

    @property
    def attempted(self) -> int:
        """Messages actually sent (or whose send was tried) in this pass."""
        return sum(1 for o in self.outcomes if o.outcome != "released")


@dataclasses.dataclass(frozen=True)
class _Claim:
    msg_id: str
    endpoint_id: str
    url: str
    secret_env: str | None
    body: str
    attempt: int
    previous_next_attempt_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class _Answer:
    status_code: int | None
    error: str | None
    retry_after_s: float | None = None


@contextmanager
def _bookkeeping(factory: SessionFactory) -> Iterator[Session]:
    """A transaction for the outbox's own records (claims, outcomes, releases).

    On PostgreSQL it does not wait for the commit to reach disk: if the server crashed and lost
    it, the worst case is sending a message again under the same id — which delivery is
    at-least-once for anyway — while each message saves a disk flush.
    """
    with transaction(factory) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET LOCAL synchronous_commit = off"))
        yield session


def _clip(text: str) -> str:
    # A receiver's reply may hold anything; the store keeps printable text only (PostgreSQL
    # text refuses NUL bytes outright).
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    return text if len(text) <= _ERROR_TEXT_LIMIT else text[: _ERROR_TEXT_LIMIT - 1] + "…"


def _retry_after_s(response: httpx.Response, now: dt.datetime) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def _claim(
    factory: SessionFactory,
    *,
    now: dt.datetime,
    policy: RetryPolicy,
    limit: int,
    paused: Collection[str],
) -> list[_Claim]:
    claims: list[_Claim] = []
    with _bookkeeping(factory) as session:
        rows = session.execute(
            select(OutboxRow, DispatchEndpointRow)
            .join(DispatchEndpointRow, OutboxRow.endpoint_id == DispatchEndpointRow.id)
            .where(
                OutboxRow.state == "pending",
                OutboxRow.next_attempt_at <= now,
                DispatchEndpointRow.disabled.is_(False),
                DispatchEndpointRow.id.not_in(list(paused)),
            )
            .order_by(OutboxRow.next_attempt_at, OutboxRow.created_at, OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=OutboxRow)
        ).all()
        for row, endpoint in rows:
            if row.attempts >= policy.max_attempts:
                # The last attempt was cut short by a crash; the schedule is used up all the same.
                row.state = "dead"
                last = row.last_error or "interrupted"
                row.last_error = _clip(f"gave up after {row.attempts} attempts; last: {last}")
                continue
            previous = row.next_attempt_at
            row.attempts += 1
            row.next_attempt_at = now + dt.timedelta(seconds=policy.claim_s)
            claims.append(
                _Claim(
                    msg_id=row.id,
                    endpoint_id=endpoint.id,
                    url=endpoint.url,
                    secret_env=endpoint.secret_env,
                    body=row.body,
                    attempt=row.attempts,
                    previous_next_attempt_at=previous,
                )
            )
    return claims


def _send(
    client: httpx.Client,
    claim: _Claim,
    *,
    secrets: SecretLookup,
    now: dt.datetime,
    deadline_s: float = 30.0,
    max_body_bytes: int = 64 * 1024,
    policy: OutboundPolicy | None = None,
) -> _Answer:
    """POST one message. A 2xx is success as soon as its status line arrives: the body is never
    read, so a receiver that trickles its reply or sends gigabytes cannot hold the lane or the
    memory. An error reply is read for its text up to `max_body_bytes`. With the client of
    `dispatch_client`, the whole attempt (connect, status line, headers, body) ends within
    `deadline_s` however slowly the receiver trickles bytes."""
    import time

    refusal = (policy or OutboundPolicy.parse(None)).refusal(claim.url)
    if refusal is not None:
        return _Answer(None, _clip(f"not sent: {refusal}"))
    secret: str | None = None
    if claim.secret_env is not None:
        secret = secrets(claim.secret_env)
        if not secret:
            return _Answer(None, f"the secret variable {claim.secret_env} is not set; not sent")
    body = claim.body.encode("utf-8")
    try:
        headers = signed_headers(secret, claim.msg_id, int(now.timestamp()), body)
    except WebhookSecretError as exc:
        return _Answer(None, f"the secret in {claim.secret_env} is unusable: {exc}; not sent")
    headers["content-type"] = "application/json; charset=utf-8"
    headers["user-agent"] = USER_AGENT
    started = time.monotonic()
    try:
        with (
            attempt_deadline(deadline_s),
            client.stream("POST", claim.url, content=body, headers=headers) as response,
        ):
            if response.is_success:
                return _Answer(response.status_code, None)
            text = bytearray()
            for chunk in response.iter_raw(4096):
                text.extend(chunk)
                if len(text) >= max_body_bytes or time.monotonic() - started > deadline_s:
                    break
            reply = bytes(text[:max_body_bytes]).decode("utf-8", errors="replace")
            detail = _clip(f"HTTP {response.status_code} {response.reason_phrase}: {reply}")
            return _Answer(response.status_code, detail, _retry_after_s(response, now))
    except httpx.TimeoutException as exc:
        return _Answer(None, f"timed out ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        return _Answer(None, _clip(f"{type(exc).__name__}: {exc}"))
    except Exception as exc:
        # A malformed URL and the like: keep the message and its schedule, and say why.
        log.exception("dispatch to %s could not be sent", claim.endpoint_id)
        return _Answer(None, _clip(f"could not send: {type(exc).__name__}: {exc}"))


def _is_transient(answer: _Answer) -> bool:
    code = answer.status_code
    if code is None:
        return True  # timeout, refused or dropped connection, missing secret
    return code >= 500 or code in (408, 425, 429) or 300 <= code < 400


def _record(
    factory: SessionFactory,
    claim: _Claim,
    answer: _Answer,
    *,
    now: dt.datetime,
    policy: RetryPolicy,
    report: DeliveryReport,
) -> None:
    if answer.error is None:
        # The common case in one statement; it only lands if nobody re-claimed the message
        # after our lease ran out (then their attempt is the one to record).
        with _bookkeeping(factory) as session:
            result = session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == claim.msg_id,
                    OutboxRow.state == "pending",
                    OutboxRow.attempts == claim.attempt,
                )
                .values(
                    state="delivered",
                    delivered_at=now,
                    last_error=None,
                    last_status=answer.status_code,
                )
                .execution_options(synchronize_session=False)
            )
        if getattr(result, "rowcount", 0) == 1:
            report.outcomes.append(
                DeliveryOutcome(
                    msg_id=claim.msg_id,
                    endpoint_id=claim.endpoint_id,
                    outcome="delivered",
                    attempt=claim.attempt,
                    status_code=answer.status_code,
                )
            )
        return
    with _bookkeeping(factory) as session:
        row = session.get(OutboxRow, claim.msg_id, with_for_update=True)
        if row is None or row.state != "pending" or row.attempts != claim.attempt:
            return
        row.last_status = answer.status_code
        outcome: Outcome
        if answer.status_code == 410:
            endpoint = session.get(DispatchEndpointRow, claim.endpoint_id)
            reason = (
                f"接收端返回 410 Gone，已停用 / the receiver answered 410 Gone at "
                f"{now.isoformat(timespec='seconds')}; endpoint disabled"
            )
            row.last_error = answer.error
            if endpoint is not None:
                disable_endpoint(session, endpoint, reason=reason, at=now)
            row.state = "disabled"
            outcome = "disabled"
            report.disabled_endpoints.append(claim.endpoint_id)
        elif _is_transient(answer) and (delay := policy.delay_after(claim.attempt)) is not None:
            if answer.retry_after_s is not None:
                delay = max(delay, min(answer.retry_after_s, policy.max_retry_after_s))
            row.next_attempt_at = now + dt.timedelta(seconds=delay)
            row.last_error = answer.error
            outcome = "retry"
        else:
            row.state = "dead"
            row.last_error = (
                answer.error
                if not _is_transient(answer)
                else _clip(f"gave up after {claim.attempt} attempts; last: {answer.error}")
            )
            session.add(
                EventRow(
                    at=now,
                    type="dispatch.dead",
                    data={
                        "message": row.id,
                        "endpoint": claim.endpoint_id,
                        "task": row.task_id,
                        "error": row.last_error,
                    },
                )
            )
            log.error(
                "dispatch message %s to %s given up: %s",
                row.id,
                claim.endpoint_id,
                row.last_error,
            )
            outcome = "dead"
        report.outcomes.append(
            DeliveryOutcome(
                msg_id=claim.msg_id,
                endpoint_id=claim.endpoint_id,
                outcome=outcome,
                attempt=claim.attempt,
                status_code=answer.status_code,
                error=answer.error,
            )
        )


def _release(factory: SessionFactory, claim: _Claim, report: DeliveryReport) -> None:
    """Give a claimed but unsent message back as it was (its endpoint failed this pass)."""
    with _bookkeeping(factory) as session:
        row = session.get(OutboxRow, claim.msg_id, with_for_update=True)
        if row is None or row.state != "pending" or row.attempts != claim.attempt:
            return
        row.attempts -= 1
        row.next_attempt_at = claim.previous_next_attempt_at
    report.outcomes.append(
        DeliveryOutcome(
            msg_id=claim.msg_id,
            endpoint_id=claim.endpoint_id,
            outcome="released",
            attempt=claim.attempt - 1,
        )
    )


def deliver_due(
    factory: SessionFactory,
    client: httpx.Client,
    *,
    now: dt.datetime | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
    policy: RetryPolicy | None = None,
    secrets: SecretLookup | None = None,
    limit: int = 100,
    stop: threading.Event | None = None,
    paused: dict[str, dt.datetime] | None = None,
    lanes: int = 8,
    pass_deadline_s: float = 60.0,
    attempt_deadline_s: float = 30.0,
    allow: str | None = None,
) -> DeliveryReport:
    """One delivery pass over the messages due at `now` (default: `clock()` at each step).

    Each endpoint's messages go out in order on a lane of their own, up to `lanes` endpoints at
    once, so a slow or failing receiver delays only itself. One attempt ends within
    `attempt_deadline_s` (with `dispatch_client`; at most half the claim lease), and a lane
    sends no message whose attempt could outlast its claim's lease (the rest are handed back).
    A lane still busy after
    `pass_deadline_s` is left to finish in the background and its endpoint sits out the next
    passes until it ends. When `stop` is set mid-pass, the claimed messages not
    yet sent are handed back untouched. `paused` (endpoint id -> until when) is the caller's
    memory of receivers that looked down or busy; the pass skips them, and updates it.
    `allow` is the outbound allow-list (GAPWATCH_DISPATCH_ALLOW when None).
    """
    import concurrent.futures
    import time

    policy = policy or RetryPolicy()
    lookup = secrets or secret_lookup()
    outbound = OutboundPolicy.parse(allow)

    def current() -> dt.datetime:
        return now if now is not None else clock()

    report = DeliveryReport()
    pauses = paused if paused is not None else {}
    start = current()
    # Lanes left behind by earlier passes change `pauses` from their threads: work on a copy.
    for endpoint_id, until in list(pauses.items()):
        if until <= start:
            pauses.pop(endpoint_id, None)
    claims = _claim(factory, now=start, policy=policy, limit=limit, paused=list(pauses))
    by_endpoint: dict[str, list[_Claim]] = {}
    for claim in claims:
        by_endpoint.setdefault(claim.endpoint_id, []).append(claim)

    claimed_at = time.monotonic()
    # An attempt longer than half the lease could be sent again by the next claim meanwhile.
    attempt_s = min(attempt_deadline_s, policy.claim_s / 2)
    # Lanes the pass stopped waiting for; each takes its endpoint's pause away when it ends.
    lock = threading.Lock()
    finished: set[str] = set()
    left_behind: set[str] = set()
    failed: set[str] = set()

    def lane(endpoint_claims: list[_Claim]) -> None:
        endpoint_id = endpoint_claims[0].endpoint_id
        try:
            send_in_order(endpoint_claims)
        finally:
            with lock:
                finished.add(endpoint_id)
                if endpoint_id in left_behind and endpoint_id not in failed:
                    pauses.pop(endpoint_id, None)

    def send_in_order(endpoint_claims: list[_Claim]) -> None:
        failing = False
        for claim in endpoint_claims:
            stopping = stop is not None and stop.is_set()
            # A slow receiver that answers just in time, message after message, must not keep
            # its lane sending past the lease: the next pass could claim the rest again.
            late = time.monotonic() - claimed_at + attempt_s > policy.claim_s
            if stopping or failing or late or claim.endpoint_id in report.disabled_endpoints:
                # One unreachable receiver costs one timeout per pass, not one per message.
                _release(factory, claim, report)
                continue
            answer = _send(
                client,
                claim,
                secrets=lookup,
                now=current(),
                deadline_s=attempt_s,
                policy=outbound,
            )
            _record(factory, claim, answer, now=current(), policy=policy, report=report)
            if answer.error is None:
                pauses.pop(claim.endpoint_id, None)
            elif _is_transient(answer):
                failing = True
                failed.add(claim.endpoint_id)
                pause = min(policy.endpoint_pause_s, policy.delay_after(claim.attempt) or 0.0)
                if pause > 0:
                    pauses[claim.endpoint_id] = current() + dt.timedelta(seconds=pause)
                log.warning(
                    "dispatch to %s failed (attempt %d of message %s): %s",
                    claim.endpoint_id,
                    claim.attempt,
                    claim.msg_id,
                    answer.error,
                )

    if not by_endpoint:
        return report
    # Even a single endpoint goes on a lane: the pass (and delivery to endpoints whose messages
    # fall due meanwhile) waits for it at most `pass_deadline_s`.
    executor = concurrent.futures.ThreadPoolExecutor(
        max_workers=max(1, min(lanes, len(by_endpoint))), thread_name_prefix="dispatch-lane"
    )
    try:
        running = {executor.submit(lane, c): e for e, c in by_endpoint.items()}
        done, late = concurrent.futures.wait(running, timeout=pass_deadline_s)
        for future in done:
            if future.exception() is not None:
                log.error("a dispatch lane failed", exc_info=future.exception())
        with lock:
            for future in late:
                # Still sending: keep the endpoint out of the next passes until its lane ends
                # (at the latest when its claims' lease does).
                endpoint_id = running[future]
                if endpoint_id not in finished:
                    left_behind.add(endpoint_id)
                    pauses[endpoint_id] = current() + dt.timedelta(seconds=policy.claim_s)
    finally:
        executor.shutdown(wait=False)
    return report


class DeliveryWorker:
    """Runs `deliver_due` on its own thread every `interval_s`, or at once after `wake()`."""

    def __init__(
        self,
        factory: SessionFactory,
        *,
        client: httpx.Client | None = None,
        interval_s: float = 1.0,
        timeout_s: float = 10.0,
        clock: Callable[[], dt.datetime] = utcnow,
        policy: RetryPolicy | None = None,
        secrets: SecretLookup | None = None,
        batch: int = 100,
        allow: str | None = None,
    ) -> None:
        self._factory = factory
        self._allow = allow
        self._batch = batch
        self._client = client
        self._own_client = client is None
        self._interval_s = interval_s
        self._timeout_s = timeout_s
        self._clock = clock
        self._policy = policy or RetryPolicy(claim_s=max(60.0, 3 * timeout_s))
        self._secrets = secrets
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._paused: dict[str, dt.datetime] = {}
        self.passes = 0
        """Delivery passes run so far (for health checks and tests)."""
        self.failed_passes = 0
        """Passes that ended in an error (logged)."""

    def start(self) -> None:
        """Start the delivery thread (once)."""
        if self._thread is not None:
            return
        if self._client is None:
            self._client = dispatch_client(self._timeout_s)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="gapwatch-dispatch", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Run a pass now instead of at the next interval (after new messages were queued)."""
        self._wake.set()

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop after the message in flight; claimed but unsent ones are retried later."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None

    def run_once(self) -> DeliveryReport:
        """One pass on the caller's thread."""
        assert self._client is not None, "start() the worker or pass a client"
        return deliver_due(
            self._factory,
            self._client,
            clock=self._clock,
            policy=self._policy,
            secrets=self._secrets,
            limit=self._batch,
            stop=self._stop,
            paused=self._paused,
            # A slow lane makes the others wait at most this long; it goes on by itself, its
            # endpoint sitting out the next passes until it ends (see deliver_due).
            pass_deadline_s=min(PASS_WAIT_S, self._timeout_s),
            attempt_deadline_s=self._timeout_s,
            allow=self._allow,
        )

    def _run(self) -> None:
        while not self._stop.is_set():
            # Cleared before the pass, so a wake() arriving during it runs another pass at once.
            self._wake.clear()
            try:
                report = self.run_once()
            except Exception:
                # A database hiccup must not end delivery; the next pass tries again.
                log.exception("dispatch delivery pass failed")
                self.failed_passes += 1
                report = None
            self.passes += 1
            # A full batch means more may be waiting: go again without sleeping.
            busy = report is not None and report.delivered >= self._batch
            if not busy:
                self._wake.wait(self._interval_s)
