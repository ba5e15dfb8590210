"""The app under waitress on a random loopback port, in a thread of the test process.

For tests that need real HTTP (schemathesis, the ingest benchmark) but want the database
in reach of the test, and no process to spawn. The server is closed and its thread joined
when the context exits.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from waitress.server import create_server


@contextmanager
def waitress_thread(app: Flask, threads: int = 4) -> Iterator[str]:
    """Yield the base URL (http://127.0.0.1:PORT) while the server runs."""
    server = create_server(app, host="127.0.0.1", port=0, threads=threads,
                           clear_untrusted_proxy_headers=True)
    port = server.socket.getsockname()[1]  # type: ignore[union-attr]
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        server.task_dispatcher.shutdown()  # type: ignore[union-attr]
        thread.join(timeout=10)
