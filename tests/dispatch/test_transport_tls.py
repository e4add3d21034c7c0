"""The delivery client checks an HTTPS receiver's certificate, and trusts a good one.

A real TLS server on loopback with a certificate made by the openssl command: self-signed, it is
refused; once its issuer is trusted (SSL_CERT_FILE, which httpx reads), the task goes through.
"""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gapwatch.dispatch.transport import dispatch_client, tls_context

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


class _Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def https_receiver(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/tasks", cert
    finally:
        server.shutdown()
        server.server_close()


def test_a_receiver_with_a_certificate_nobody_issued_is_refused(
    https_receiver: tuple[str, Path],
) -> None:
    url, _ = https_receiver
    with dispatch_client(5.0) as client, pytest.raises(httpx.ConnectError, match="CERTIFICATE"):
        client.post(url, content=b"{}")


def test_a_receiver_whose_issuer_is_trusted_gets_the_task(
    https_receiver: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert = https_receiver
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with dispatch_client(5.0) as client:
        assert client.post(url, content=b"{}").status_code == 204


def test_clients_share_one_context_per_trust_setting(
    https_receiver: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, cert = https_receiver
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    assert tls_context() is tls_context()  # the CA bundle is read once, not per client
    plain = tls_context()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    assert tls_context() is not plain
