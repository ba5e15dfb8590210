"""The HTTP/1.1 front of a worker process: asyncio reads and writes, a few threads run the app.

Every connection is a coroutine, not a thread. A client may take its time over the TLS
handshake, its headers or its body without holding anything but a socket and a few
kilobytes, and every step has a deadline (`Limits`): a connection that misses one is
closed, with a 408 when a request was under way. A client address may hold only so many
connections at once (the proxies the server trusts are exempt: everyone comes through
them).

Only a complete request head goes to one of the worker's threads, which runs the WSGI app
(Flask) and hands the answer back to the loop to write. A request that may hold its thread
for as long as a client takes over a file (a body streamed to the app, or a target the
worker names as a long answer: a training video's download) runs in a small pool of its
own when the worker gives one (`transfers`), so that a few slow uploads or downloads never
take the threads the kiosks' short requests wait for. Likewise a write the worker names
(`write_targets`: the kiosks' event batches, which on SQLite wait their turn for the one
writer) runs in a pool of its own (`writes`), so that batches queued behind the database's
write lock never hold the threads the kiosks' card reads wait for. A small body (up to
`Limits.preread_bytes`, a login form or a kiosk's batch) is read whole by the loop before
that; a larger one is streamed to the app as it reads it, so the app checks the token or
the login first and refuses a stranger before a byte of the body is read. The parsing is
h11's (the HTTP/1.1 state machine httpx, uvicorn and hypercorn build on).

The app sees a plain WSGI environ: `wsgi.url_scheme` says which listener the request came
in on, REMOTE_ADDR is the peer and SERVER_NAME the local address it connected to; no
X-Forwarded-* header is believed here (`server.web.TrustedProxyFix` does that, for the
configured proxies only). Header names with an underscore are dropped, so that
`X_Forwarded_For` cannot pass for `X-Forwarded-For`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import ssl
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_to_bytes

import h11

logger = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Headers = list[tuple[bytes, bytes]]
# (method, target, headers) -> the headers of a 304 the loop may answer, or None.
EarlyAnswer = Callable[[bytes, bytes, Sequence[tuple[bytes, bytes]]], Headers | None]

RECV = 64 * 1024
# What the app's thread gathers before it hands a piece of the answer to the loop.
SEND = 64 * 1024
# After an answer to a request whose body was not read, what is read and dropped before
# the connection closes, so that the client sees the answer rather than a reset.
LINGER_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Deadlines and sizes for one worker process's connections."""

    handshake_s: float = 10.0   # the TLS handshake
    idle_s: float = 10.0        # a request's first byte, on a new or a kept-alive connection
    head_s: float = 10.0        # from the first byte to the end of the headers
    # The body: a read waits at most `body_s`, and the whole body may take `body_s` plus a
    # second for every `body_min_rate` bytes received (Apache's mod_reqtimeout rule): a
    # client that sends at least that fast is never cut, one that dribbles is.
    body_s: float = 20.0
    body_min_rate: int = 32 * 1024
    send_s: float = 30.0        # a client that takes nothing of the answer for this long
    linger_s: float = 2.0
    head_bytes: int = 32 * 1024
    preread_bytes: int = 64 * 1024
    per_address: int = 32       # connections from one address, per worker process
    connections: int = 1000     # connections per worker process


class _Refused(Exception):
    """The request cannot be served: answer `status` and close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _BodyTimeout(Exception):
    """The client did not send its body in time."""


class _Gone(Exception):
    """The client closed the connection, broke the protocol mid-body, or stopped reading."""


class Admission:
    """Connections per client address, and in all."""

    def __init__(self, per_address: int, total: int, exempt: Iterable[str] = ()) -> None:
        self.per_address = per_address
        self.total = total
        self.exempt = [ipaddress.ip_network(a, strict=False) for a in exempt]
        self.open: dict[str, int] = {}
        self.count = 0

    def _exempt(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.exempt)

    def admit(self, address: str) -> bool:
        held = self.open.get(address, 0)
        if self.count >= self.total or (held >= self.per_address
                                        and not self._exempt(address)):
            return False
        self.open[address] = held + 1
        self.count += 1
        return True

    def release(self, address: str) -> None:
        self.count -= 1
        left = self.open[address] - 1
        if left:
            self.open[address] = left
        else:
            del self.open[address]


def tls_context(certfile: str, keyfile: str) -> ssl.SSLContext:
    """TLS 1.2 and up with the server's own certificate; HTTP/1.1 only."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    context.set_alpn_protocols(["http/1.1"])
    return context


class Front:
    """One worker process's connections: admission, deadlines, and the app's threads."""

    def __init__(self, app: Wsgi, pool: Executor, limits: Limits, *,
                 exempt: Iterable[str] = (), multiprocess: bool = True,
                 early: EarlyAnswer | None = None, transfers: Executor | None = None,
                 long_answers: re.Pattern[bytes] | None = None,
                 writes: Executor | None = None,
                 write_targets: re.Pattern[bytes] | None = None) -> None:
        self.app = app
        self.early = early
        self.pool = pool
        self.transfers = transfers
        self.long_answers = long_answers
        self.writes = writes
        self.write_targets = write_targets
        self.limits = limits
        self.admission = Admission(limits.per_address, limits.connections, exempt)
        self.multiprocess = multiprocess
        self.connections: set[_Connection] = set()
        self.stopping = False

    def pool_for(self, method: bytes, target: bytes, *, streamed: bool) -> Executor:
        """The transfer pool for a body streamed to the app or a target `long_answers`
        matches; the writes pool for a POST to a target `write_targets` matches (each
        when the worker has one); the app's pool for everything else."""
        if self.transfers is not None and (
                streamed or (self.long_answers is not None
                             and self.long_answers.match(target) is not None)):
            return self.transfers
        if (self.writes is not None and method == b"POST" and self.write_targets is not None
                and self.write_targets.match(target) is not None):
            return self.writes
        return self.pool

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    tls: ssl.SSLContext | None) -> None:
        """One connection, from accept to close (the callback of `asyncio.start_server`)."""
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) else ""
        if self.stopping or not self.admission.admit(address):
            writer.transport.abort()
            return
        connection = _Connection(self, reader, writer, secure=tls is not None)
        self.connections.add(connection)
        try:
            if tls is not None:
                await writer.start_tls(tls, ssl_handshake_timeout=self.limits.handshake_s)
            await connection.run()
        except ssl.SSLError as error:
            # Said once per connection, as gunicorn did: a kiosk refusing our certificate
            # (UNKNOWN_CA) or a client speaking plain HTTP to the TLS port shows here.
            logger.info("tls_handshake_failed",
                        extra={"peer": address, "reason": error.reason or str(error)})
        except OSError:
            pass  # a late handshake, a reset: the client is gone
        finally:
            self.connections.discard(connection)
            self.admission.release(address)
            # What is still buffered goes out first, unless the client will not take it.
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), self.limits.linger_s)
            except (TimeoutError, OSError):
                writer.transport.abort()

    async def stop(self, grace_s: float) -> None:
        """Close idle connections at once; give requests under way `grace_s` to finish."""
        self.stopping = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_s
        while self.connections and loop.time() < deadline:
            for connection in list(self.connections):
                connection.stop_if_idle()
            await asyncio.sleep(0.05)
        for connection in list(self.connections):
            connection.task.cancel()


class _Connection:
    def __init__(self, front: Front, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, *, secure: bool) -> None:
        self.front = front
        self.limits = front.limits
        self.reader = reader
        self.writer = writer
        self.secure = secure
        self.loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        self.task = task
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=self.limits.head_bytes)
        self.idle = True
        self.body_started = 0.0
        self.received = 0
        self.timed_out = False
        self.replaced = False

    def stop_if_idle(self) -> None:
        if self.idle:
            self.task.cancel()

    async def run(self) -> None:
        while not self.front.stopping:
            try:
                request = await self._head()
            except _Refused as refusal:
                await self._refuse(refusal.status, str(refusal))
                return
            if request is None:
                return
            self.idle = False
            try:
                reuse = await self._respond(request)
            finally:
                self.idle = True
            if not reuse:
                return
            self.h11.start_next_cycle()

    # -- reading ------------------------------------------------------------------------

    async def _read(self, deadline: float) -> bytes | None:
        """What the client sent next (b"" when it closed), or None past the deadline."""
        remaining = deadline - self.loop.time()
        if remaining <= 0:
            return None
        try:
            return await asyncio.wait_for(self.reader.read(RECV), remaining)
        except TimeoutError:
            return None

    async def _head(self) -> h11.Request | None:
        """The next request's head; None when the client closed or went quiet between
        requests. Raises _Refused for a bad or late head."""
        started = bool(self.h11.trailing_data[0])
        deadline = self.loop.time() + (self.limits.head_s if started else self.limits.idle_s)
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as error:
                raise _Refused(error.error_status_hint, "bad request head") from None
            if isinstance(event, h11.Request):
                return event
            if event is not h11.NEED_DATA:
                return None  # ConnectionClosed
            data = await self._read(deadline)
            if data is None:
                if started:
                    raise _Refused(408, "the request head took too long")
                return None
            if data and not started:
                started = True
                deadline = self.loop.time() + self.limits.head_s
            self.h11.receive_data(data)

    async def body_chunk(self) -> bytes:
        """The next piece of the request body, b"" at its end. Raises _BodyTimeout past the
        body deadline, _Gone when the client closed or broke the framing."""
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError:
                raise _Gone from None
            if isinstance(event, h11.Data):
                self.received += len(event.data)
                return bytes(event.data)
            if isinstance(event, h11.EndOfMessage):
                return b""
            if event is not h11.NEED_DATA:
                raise _Gone
            if self.h11.they_are_waiting_for_100_continue:
                self.writer.write(self.h11.send(
                    h11.InformationalResponse(status_code=100, headers=[])))
            if not self.body_started:
                # A body streamed to the app: its clock starts when the app first reads,
                # not while the request waited for a thread.
                self.body_started = self.loop.time()
            limits = self.limits
            deadline = min(self.body_started + limits.body_s
                           + self.received / limits.body_min_rate,
                           self.loop.time() + limits.body_s)
            data = await self._read(deadline)
            if data is None:
                self.timed_out = True
                raise _BodyTimeout
            self.h11.receive_data(data)

    # -- answering ----------------------------------------------------------------------

    async def _respond(self, request: h11.Request) -> bool:
        """Read a small body, run the app in a thread; whether the connection may serve
        another request."""
        self.body_started = 0.0
        self.received = 0
        self.timed_out = self.replaced = False
        length = _content_length(request)
        body = bytearray()
        complete = False
        if length is None or length <= self.limits.preread_bytes:
            self.body_started = self.loop.time()
            try:
                while len(body) <= self.limits.preread_bytes:
                    chunk = await self.body_chunk()
                    if not chunk:
                        complete = True
                        break
                    body += chunk
            except _BodyTimeout:
                await self._refuse(408, "the request body took too long")
                return False
            except _Gone:
                return False
        if complete and not body and self.front.early is not None:
            headers = self.front.early(request.method, request.target, request.headers)
            if headers is not None:
                return await self._not_modified(headers)
        environ = self._environ(request, bytes(body), complete)
        bridge = _AppCall(self, environ, head=request.method == b"HEAD")
        pool = self.front.pool_for(request.method, request.target, streamed=not complete)
        finished = await self.loop.run_in_executor(pool, bridge.run)
        if not finished:
            return False
        if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            return not self.front.stopping
        await self._linger()
        return False

    async def _not_modified(self, headers: Headers) -> bool:
        """The 304 `early` vouched for, written by the loop; whether to read on."""
        try:
            await self.send([h11.Response(status_code=304, reason=b"Not Modified",
                                          headers=[*headers, (b"date", _date())]),
                             h11.EndOfMessage()])
        except _Gone:
            return False
        return self.h11.our_state is h11.DONE and not self.front.stopping

    async def send(self, events: list[Any]) -> None:
        """Write the app's answer as h11 events; wait while the client takes none of it, at
        most `send_s`. The answer to a body that came too late is a 408, whatever the app
        made of the part it got."""
        for event in events:
            if self.replaced:
                continue
            if isinstance(event, h11.Response) and self.timed_out:
                self.replaced = True
                for refusal in _plain(408, "the request body took too long", close=True):
                    self.writer.write(self.h11.send(refusal))
                continue
            if isinstance(event, h11.Response) and (
                    self.front.stopping or self.h11.their_state is not h11.DONE):
                event = h11.Response(status_code=event.status_code, reason=event.reason,
                                     headers=[*event.headers, (b"connection", b"close")])
            self.writer.write(self.h11.send(event))
        try:
            await asyncio.wait_for(self.writer.drain(), self.limits.send_s)
        except (TimeoutError, OSError):
            raise _Gone from None

    async def _refuse(self, status: int, message: str) -> None:
        """Answer an error of the front's own and close."""
        if self.h11.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return  # an answer is under way already: closing is all there is left
        try:
            for event in _plain(status, message, close=True):
                self.writer.write(self.h11.send(event))
            await asyncio.wait_for(self.writer.drain(), self.limits.send_s)
        except (h11.LocalProtocolError, TimeoutError, OSError):
            return
        await self._linger()

    async def _linger(self) -> None:
        """Let the client read the answer before the close: drop what it still sends, for
        a short while."""
        try:
            if self.writer.can_write_eof():
                self.writer.write_eof()
            deadline = self.loop.time() + self.limits.linger_s
            dropped = 0
            while dropped < LINGER_BYTES:
                data = await self._read(deadline)
                if not data:
                    return
                dropped += len(data)
        except OSError:
            return

    def _environ(self, request: h11.Request, body: bytes, complete: bool) -> dict[str, Any]:
        target = request.target
        if not target.startswith(b"/"):  # absolute form: http://host/path
            target = b"/" + target.split(b"/", 3)[3] if target.count(b"/") >= 3 else b"/"
        path, _, query = target.partition(b"?")
        local = self.writer.get_extra_info("sockname")
        peer = self.writer.get_extra_info("peername")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method.decode("ascii"),
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query.decode("latin-1"),
            "RAW_URI": target.decode("latin-1"),
            "REQUEST_URI": target.decode("latin-1"),
            "SERVER_NAME": str(local[0]),
            "SERVER_PORT": str(local[1]),
            "SERVER_PROTOCOL": "HTTP/" + request.http_version.decode("ascii"),
            "REMOTE_ADDR": str(peer[0]),
            "REMOTE_PORT": str(peer[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https" if self.secure else "http",
            "wsgi.input": _Input(body, complete, self),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": self.front.multiprocess,
            "wsgi.run_once": False,
            # The stream ends where the body does: werkzeug reads it as it is, and holds a
            # chunked body to its size limit too.
            "wsgi.input_terminated": True,
        }
        for raw_name, raw_value in request.headers:
            if b"_" in raw_name:
                continue
            name = raw_name.decode("latin-1").upper().replace("-", "_")
            value = raw_value.decode("latin-1")
            key = name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{name}"
            if key in environ:
                value = environ[key] + ("; " if key == "HTTP_COOKIE" else ", ") + value
            environ[key] = value
        return environ


def _content_length(request: h11.Request) -> int | None:
    for name, value in request.headers:
        if name == b"content-length":
            return int(value)
        if name == b"transfer-encoding":
            return None
    return 0


def _date() -> bytes:
    return formatdate(usegmt=True).encode("ascii")


def _plain(status: int, message: str, *, close: bool = False) -> list[Any]:
    """A short text answer of the front's own: Response, Data, EndOfMessage."""
    body = (message + "\n").encode() if message else b""
    headers = [(b"content-type", b"text/plain; charset=utf-8"),
               (b"content-length", str(len(body)).encode()), (b"date", _date()),
               (b"x-content-type-options", b"nosniff")]
    if close:
        headers.append((b"connection", b"close"))
    return [h11.Response(status_code=status, reason=HTTPStatus(status).phrase.encode(),
                         headers=headers), h11.Data(data=body), h11.EndOfMessage()]


class _Input:
    """wsgi.input: the body read by the loop so far, then whatever the loop reads next."""

    def __init__(self, body: bytes, complete: bool, connection: _Connection) -> None:
        self.buffer = bytearray(body)
        self.done = complete
        self.connection = connection

    def _pull(self) -> bool:
        """Wait for the next piece of the body; False at its end (or when it failed)."""
        if self.done:
            return False
        limits = self.connection.limits
        future = asyncio.run_coroutine_threadsafe(self.connection.body_chunk(),
                                                  self.connection.loop)
        try:
            chunk = future.result(timeout=limits.body_s + 5)
        except TimeoutError:
            future.cancel()
            self.done = True
            return False
        except (_BodyTimeout, _Gone, OSError):
            # The app sees the body end here; the answer becomes a 408 or is not sent.
            self.done = True
            return False
        if not chunk:
            self.done = True
            return False
        self.buffer += chunk
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            while self._pull():
                pass
            size = len(self.buffer)
        elif not self.buffer:
            self._pull()
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def readline(self, size: int | None = -1) -> bytes:
        while b"\n" not in self.buffer and (size is None or size < 0
                                            or len(self.buffer) < size) and self._pull():
            pass
        end = self.buffer.find(b"\n") + 1 or len(self.buffer)
        if size is not None and size >= 0:
            end = min(end, size)
        data = bytes(self.buffer[:end])
        del self.buffer[:end]
        return data

    def readlines(self, hint: int = -1) -> list[bytes]:
        return list(self)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


class _AppCall:
    """One request in one of the app's threads: call the app, pass the answer to the loop."""

    def __init__(self, connection: _Connection, environ: dict[str, Any], *,
                 head: bool) -> None:
        self.connection = connection
        self.environ = environ
        self.head = head
        self.status: tuple[int, bytes] | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.started = False
        self.pending: list[bytes] = []
        self.pending_size = 0

    def _send(self, events: list[Any]) -> None:
        connection = self.connection
        future = asyncio.run_coroutine_threadsafe(connection.send(events), connection.loop)
        try:
            future.result(timeout=connection.limits.send_s + 5)
        except TimeoutError:
            future.cancel()
            raise _Gone from None

    def start_response(self, status: str, headers: list[tuple[str, str]],
                       exc_info: Any = None) -> Callable[[bytes], None]:
        if exc_info is not None:
            if self.started:
                raise exc_info[1].with_traceback(exc_info[2])
        elif self.status is not None:
            raise AssertionError("start_response called twice")
        code, _, reason = status.partition(" ")
        self.status = (int(code), reason.encode("latin-1"))
        self.headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in headers]
        return self.write

    def write(self, data: bytes) -> None:
        if self.status is None:
            raise AssertionError("write() before start_response")
        if data and not self.head:
            self.pending.append(data)
            self.pending_size += len(data)
        if self.pending_size >= SEND or not self.started:
            self._flush()

    def _flush(self, end: bool = False) -> None:
        events: list[Any] = []
        if not self.started:
            assert self.status is not None
            code, reason = self.status
            events.append(h11.Response(status_code=code, reason=reason,
                                       headers=[*self.headers, (b"date", _date())]))
            self.started = True
        if self.pending:
            events.append(h11.Data(data=b"".join(self.pending)))
            self.pending, self.pending_size = [], 0
        if end:
            events.append(h11.EndOfMessage())
        if events:
            self._send(events)

    def run(self) -> bool:
        """Whether the whole answer was sent."""
        try:
            result = self.connection.front.app(self.environ, self.start_response)
            try:
                for data in result:
                    if data and not self.head:
                        self.pending.append(data)
                        self.pending_size += len(data)
                    if self.pending_size >= SEND:
                        self._flush()
                if self.status is None:
                    raise AssertionError("the app returned without start_response")
                self._flush(end=True)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except _Gone:
            return False
        except Exception:
            logger.exception("the app failed", extra={"path": self.environ["PATH_INFO"]})
            if self.started:
                return False
            try:
                self._send(_plain(500, "internal error", close=True))
            except (_Gone, h11.LocalProtocolError):
                return False
        return True
