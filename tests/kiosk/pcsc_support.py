"""A private pcscd with vsmartcard's virtual reader, and a card emulator of our own.

pcscd runs in its own mount namespace with a tmpfs /run and our folder bind-mounted on
/run/pcscd, so its socket is ours and any other pcscd is untouched. The card emulator
speaks vpcd's protocol: 2-byte big-endian length, then a payload; a 1-byte payload is a
control code (4 = send the ATR), anything longer is an APDU. Connecting inserts the card,
closing the socket removes it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
READER = "Kiosk Test PCD"
ATR = bytes.fromhex("3b8f8001804f0ca0000003060300030000000068")
START_PCSCD = (
    'mount -t tmpfs tmpfs /run && mkdir /run/pcscd && mount --bind "$0" /run/pcscd '
    '&& exec pcscd --foreground -c "$1"'
)


def free_port_pair() -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port < 65000:
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free pair of ports")


class Pcscd:
    def __init__(self, folder: Path) -> None:
        self.run_dir = folder / "run"
        self.conf_dir = folder / "conf"
        self.run_dir.mkdir(parents=True)
        self.conf_dir.mkdir(parents=True)
        self.port = free_port_pair()
        (self.conf_dir / "vpcd").write_text(
            f'FRIENDLYNAME "{READER}"\nDEVICENAME /dev/null:0x{self.port:X}\n'
            f"LIBPATH {VPCD_DRIVER}\nCHANNELID 0x{self.port:X}\n"
        )
        self.socket = self.run_dir / "pcscd.comm"
        self.log = folder / "pcscd.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        for stale in ("pcscd.comm", "pcscd.pid"):
            (self.run_dir / stale).unlink(missing_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", START_PCSCD,
                 str(self.run_dir), str(self.conf_dir)],
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 5
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pcscd did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            self.process = None


class VirtualCard:
    def __init__(self, port: int, uid: bytes, atr: bytes = ATR) -> None:
        self.port = port
        self.uid = uid
        self.atr = atr
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def insert(self, timeout: float = 3.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(None)
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, args=(sock,), name="virtual-card")
        self._thread.start()

    def remove(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
            self._sock = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _recv(self, sock: socket.socket, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            if hasattr(socket, "TCP_QUICKACK"):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            chunk = sock.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _send(self, sock: socket.socket, payload: bytes) -> None:
        sock.sendall(struct.pack(">H", len(payload)) + payload)

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                header = self._recv(sock, 2)
                if header is None:
                    return
                payload = self._recv(sock, struct.unpack(">H", header)[0])
                if payload is None:
                    return
                if len(payload) == 1:
                    if payload[0] == 4:
                        self._send(sock, self.atr)
                elif payload[:4] == bytes.fromhex("FFCA0000"):
                    self._send(sock, self.uid + b"\x90\x00")
                else:
                    self._send(sock, b"\x6d\x00")
        except OSError:
            return


def point_client_at(pcscd: Pcscd) -> None:
    """The PC/SC client library reads this once, before its first call in the process."""
    os.environ["PCSCLITE_CSOCK_NAME"] = str(pcscd.socket)
