"""The dispatch HTTP client: one attempt ends by its deadline, whatever the receiver trickles.

httpx's time-outs are per operation: a receiver that sends its status line or headers one byte
every few seconds never trips a 10 s read time-out and can hold an attempt for hours. Here every
socket operation of an attempt (connect, TLS, write, each read) waits at most until the
attempt's deadline, set with `attempt_deadline()` on the thread that sends, so the attempt as a
whole ends by then with a `httpx.ReadTimeout` (or connect/write time-out).
"""

from __future__ import annotations

import functools
import os
import ssl
import threading
import time
import typing
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import httpcore
import httpx

__all__ = ["attempt_deadline", "dispatch_client", "tls_context"]

_local = threading.local()


@contextmanager
def attempt_deadline(seconds: float) -> Iterator[None]:
    """Within the block, this thread's dispatch requests end `seconds` from now at the latest."""
    outer: float | None = getattr(_local, "deadline", None)
    _local.deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.deadline = outer


def _bounded(timeout: float | None, *, what: str, error: type[Exception]) -> float | None:
    deadline: float | None = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error(f"the attempt's deadline passed while {what}")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        wait = _bounded(timeout, what="reading the reply", error=httpcore.ReadTimeout)
        return self._stream.read(max_bytes, wait)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        wait = _bounded(timeout, what="sending the request", error=httpcore.WriteTimeout)
        self._stream.write(buffer, wait)

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        wait = _bounded(timeout, what="starting TLS", error=httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, wait))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        wait = _bounded(timeout, what="connecting", error=httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, wait, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        wait = _bounded(timeout, what="connecting", error=httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, wait, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def tls_context() -> ssl.SSLContext:
    """The TLS context deliveries verify receivers with: httpx's default (the machine's CA
    bundle, or SSL_CERT_FILE / SSL_CERT_DIR when set), made once per process and trust setting.

    Reading a CA bundle into a context costs tens of milliseconds of CPU; a context is safe to
    share between connection pools and threads. Changing SSL_CERT_FILE or SSL_CERT_DIR gives a
    new context; a CA bundle rewritten in place is read at the next start.
    """
    return _tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _tls_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    del cert_file, cert_dir  # the cache key: httpx reads them from the environment
    return httpx.create_ssl_context()


class _DeadlineTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        # One TLS context for both pools (the pool httpx builds here is replaced at once).
        ssl_context = tls_context()
        super().__init__(verify=ssl_context)
        # httpx takes no network backend of its own; this is the pool it builds by default
        # (same limits, same TLS checks) on the backend that keeps to the deadline.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_DeadlineBackend(),
        )


def dispatch_client(timeout_s: float) -> httpx.Client:
    """The client delivery sends with: `timeout_s` per operation, `attempt_deadline` overall,
    no redirects (a receiver cannot bounce a signed task elsewhere)."""
    return httpx.Client(timeout=timeout_s, follow_redirects=False, transport=_DeadlineTransport())
