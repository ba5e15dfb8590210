"""A TCP proxy on loopback that can cut its first connection after a number of bytes from
the server: a network that fails halfway through a download. TLS passes through it
untouched. It counts the bytes each connection carried back to the client."""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType

BUFFER = 64 * 1024


class CuttingProxy:
    def __init__(self, upstream: tuple[str, int], cut_first_after: int | None) -> None:
        self.upstream = upstream
        self.cut_first_after = cut_first_after
        self.downstream_bytes: list[int] = []  # per connection, in order of arrival
        self._listener = socket.create_server(("127.0.0.1", 0))
        # Closing a socket does not wake a thread blocked in accept(): poll instead.
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._stopping = threading.Event()
        self._accepter = threading.Thread(target=self._accept, name="proxy-accept")

    def __enter__(self) -> CuttingProxy:
        self._accepter.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stopping.set()
        self._accepter.join(5)
        self._listener.close()
        for sock in self._sockets:
            _close(sock)
        for thread in self._threads:
            thread.join(5)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            server = socket.create_connection(self.upstream)
            self._sockets += [client, server]
            index = len(self.downstream_bytes)
            self.downstream_bytes.append(0)
            limit = self.cut_first_after if index == 0 else None
            for target, args in ((self._pump_up, (client, server)),
                                 (self._pump_down, (server, client, index, limit))):
                thread = threading.Thread(target=target, args=args, name="proxy-pump")
                thread.start()
                self._threads.append(thread)

    def _pump_up(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(BUFFER):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(sink)

    def _pump_down(self, source: socket.socket, sink: socket.socket, index: int,
                   limit: int | None) -> None:
        try:
            while data := source.recv(BUFFER):
                if limit is not None and self.downstream_bytes[index] + len(data) > limit:
                    data = data[: limit - self.downstream_bytes[index]]
                    sink.sendall(data)
                    self.downstream_bytes[index] += len(data)
                    break  # the cut: both ends closed below, mid-answer
                sink.sendall(data)
                self.downstream_bytes[index] += len(data)
        except OSError:
            pass
        finally:
            _close(sink)
            _close(source)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
