"""Where dispatch webhooks may go: not to this machine or its link-local neighbours unless allowed.

A dispatch URL is configuration that a technician (or a site file from elsewhere) writes; left
open, it can aim gapwatch's signed POSTs at the database on 127.0.0.1:5432, at Redis, or at a
cloud metadata service on 169.254.169.254. Loopback, link-local, unspecified and multicast
targets are refused unless GAPWATCH_DISPATCH_ALLOW names them; the county CAD on a private
network (10/8, 172.16/12, 192.168/16) is the normal case and needs no entry.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["ALLOW_ENV", "OutboundPolicy"]

ALLOW_ENV = "GAPWATCH_DISPATCH_ALLOW"

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _forbidden(ip: IpAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast


@dataclass(frozen=True)
class OutboundPolicy:
    """The allow-list: host names, host:port pairs and networks."""

    hosts: frozenset[str] = frozenset()
    host_ports: frozenset[tuple[str, int]] = frozenset()
    networks: tuple[IpNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> OutboundPolicy:
        """From `127.0.0.1:9000, localhost, 10.2.0.0/16` (None: the environment's setting)."""
        if text is None:
            text = os.environ.get(ALLOW_ENV, "")
        hosts: set[str] = set()
        host_ports: set[tuple[str, int]] = set()
        networks: list[IpNetwork] = []
        for raw in text.split(","):
            entry = raw.strip().lower()
            if not entry:
                continue
            if "/" in entry:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            host, sep, port = entry.rpartition(":")
            if sep and port.isdigit() and "]" not in port:
                host_ports.add((host.strip("[]"), int(port)))
            else:
                hosts.add(entry.strip("[]"))
        return cls(frozenset(hosts), frozenset(host_ports), tuple(networks))

    def _allowed(self, name: str, port: int, ip: IpAddress | None) -> bool:
        candidates = {name} | ({str(ip)} if ip is not None else set())
        if candidates & self.hosts or any((c, port) in self.host_ports for c in candidates):
            return True
        return ip is not None and any(ip in network for network in self.networks)

    def refusal(self, url: str) -> str | None:
        """Why `url` may not be POSTed to, or None when it may."""
        try:
            parts = urlsplit(url)
            name = (parts.hostname or "").lower()
        except ValueError:
            return None  # not a URL at all: the HTTP client's own error says so when sending
        if parts.scheme not in ("http", "https") or not name:
            return f"not an http(s) URL with a host: {parts.scheme}://{name}"
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return "the URL's port is not a number 1..65535"
        try:
            addresses = {
                ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
                for info in socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
            }
        except (socket.gaierror, UnicodeError, ValueError) as exc:
            return f"cannot resolve {name}: {exc}"
        for ip in sorted(addresses, key=str):
            if _forbidden(ip) and not self._allowed(name, port, ip):
                return (
                    f"{name}:{port} is {ip}, a loopback/link-local address; dispatch there only "
                    f"if {ALLOW_ENV} lists it (e.g. {ALLOW_ENV}={name}:{port}) / "
                    f"调度目标为本机或链路本地地址，需在 {ALLOW_ENV} 中明确允许"
                )
        return None
