"""Advertising the server by mDNS/DNS-SD (python-zeroconf) while it serves.

The gunicorn master owns the :class:`Advertiser` (started when gunicorn is ready, stopped
when it exits), so there is one advertisement however many workers run. Discovery only
finds an address: kiosks trust the server through the certificate pinned at enrolment.
"""

from __future__ import annotations

import contextlib
import logging
import socket

import ifaddr
from zeroconf import (
    InterfaceChoice,
    IPVersion,
    NonUniqueNameException,
    ServiceInfo,
    Zeroconf,
)

logger = logging.getLogger(__name__)

SERVICE_TYPE = "_shopfloor._tcp.local."
PROTOCOL_VERSION = "1"
API_PATH = "/api/v1"
# DNS-SD limits (RFC 6763): a TXT string and an instance label hold at most 255 and 63 bytes.
MAX_TXT_BYTES = 255
MAX_LABEL_BYTES = 63
# How long to ask whether someone already answers to our name: zeroconf only refuses a
# name it has seen, and a fresh instance has seen nothing. Long enough for the second
# query a second after the first: a responder stays silent to a query for a record it
# multicast within the last second (RFC 6762 §6), so one query can go unanswered.
CLASH_CHECK_MS = 1500


def instance_name(host: str, server_id: str) -> str:
    """Host name plus a short id, so two servers on one host (or one name) do not clash."""
    short = server_id[:6]
    base = host.split(".")[0] or "shopfloor"
    room = MAX_LABEL_BYTES - len(short) - len("shopfloor--")
    return f"shopfloor-{base.encode()[:room].decode(errors='ignore')}-{short}"


def txt_record(server_id: str) -> dict[str, str]:
    txt = {"v": PROTOCOL_VERSION, "id": server_id, "api": API_PATH}
    for key, value in txt.items():
        if len(f"{key}={value}".encode()) > MAX_TXT_BYTES:
            raise ValueError(f"the TXT value {key} is longer than {MAX_TXT_BYTES} bytes")
    return txt


def _addresses(host: str, interfaces: tuple[str, ...] | None) -> list[bytes]:
    """The IPv4 addresses to announce: the configured interfaces, else the bound host."""
    if interfaces:
        return [socket.inet_aton(a) for a in interfaces]
    if host not in ("0.0.0.0", ""):
        # A name or an IPv6 address falls through: announce what the interfaces have.
        with contextlib.suppress(OSError):
            return [socket.inet_aton(host)]
    return [socket.inet_aton(str(ip.ip)) for adapter in ifaddr.get_adapters()
            for ip in adapter.ips if ip.is_IPv4 and not str(ip.ip).startswith("127.")]


class Advertiser:
    """Registers ``_shopfloor._tcp.local.`` for one server; ``stop`` says goodbye."""

    def __init__(self, server_id: str, port: int, *, host: str = "0.0.0.0",
                 interfaces: tuple[str, ...] | None = None) -> None:
        self.interfaces = interfaces
        name = instance_name(socket.gethostname(), server_id)
        addresses = _addresses(host, interfaces)
        self.info = ServiceInfo(
            SERVICE_TYPE, f"{name}.{SERVICE_TYPE}", port=port,
            properties=txt_record(server_id), server=f"{name}.local.", addresses=addresses,
        )
        self._zc: Zeroconf | None = None
        self.registered = False

    def start(self) -> None:
        # Its own thread and loop: the gunicorn master runs no asyncio loop of its own.
        self._zc = Zeroconf(interfaces=list(self.interfaces) if self.interfaces
                            else InterfaceChoice.All, ip_version=IPVersion.V4Only,
                            use_asyncio=False)
        try:
            if self._zc.get_service_info(SERVICE_TYPE, self.info.name, timeout=CLASH_CHECK_MS):
                raise NonUniqueNameException(self.info.name)
            self._zc.register_service(self.info)
        except NonUniqueNameException:
            # Another server answers to this name: keep serving, unadvertised; kiosks that
            # know the address still come, and the operator reads why here.
            logger.error("mdns_name_clash: another server advertises this name; "
                         "this one is not advertised", extra={"instance": self.info.name})
            return
        self.registered = True
        logger.info("mdns_advertised", extra={"instance": self.info.name,
                                              "port": self.info.port,
                                              "interfaces": self.interfaces or "all"})

    def stop(self) -> None:
        if self._zc is None:
            return
        try:
            if self.registered:
                self._zc.unregister_service(self.info)
                logger.info("mdns_withdrawn", extra={"instance": self.info.name})
        finally:
            self._zc.close()
            self._zc = None
            self.registered = False
