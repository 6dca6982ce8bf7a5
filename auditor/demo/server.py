"""Serve a WSGI app (an emulator) on a local port in a daemon thread, for tests and ``auditor demo``.

The request handler does not log request lines: they carry query strings, and a query string may carry
a token (``access_token=``, ``debug_token?input_token=``).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

log = logging.getLogger("auditor.demo")


class _QuietHandler(WSGIRequestHandler):
    """No access log; errors are logged without the request line (which may hold a token)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 - werkzeug's signature
        if type == "error":
            log.debug("sandbox server error (%s)", self.path.split("?", 1)[0] if self.path else "-")


class ServerHandle:
    """A running server: ``url`` (``http://127.0.0.1:PORT``), ``stop()``; usable as a context manager."""

    def __init__(self, server: BaseWSGIServer):
        self._server = server
        self.host = str(server.server_address[0])
        self.port = int(server.server_address[1])
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"sandbox-{self.port}", daemon=True)
        self._stopped = False

    def start(self) -> ServerHandle:
        """Start serving in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(wsgi_app: Any, host: str = "127.0.0.1", port: int = 0) -> ServerHandle:
    """Serve ``wsgi_app`` on ``host:port`` (0: a free port) in a daemon thread; return its handle."""
    server = make_server(host, port, wsgi_app, threaded=True, request_handler=_QuietHandler)
    return ServerHandle(server).start()
