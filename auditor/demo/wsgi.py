"""What every platform emulator's WSGI side shares: JSON and raw answers, and the fault flow around a request.

``answer(faults, path, refuse, serve)`` is the order each emulator follows: an armed fault other than
"timeout"/"truncated" replaces the answer (``refuse`` shapes it in the platform's own words); "timeout" delays
the real answer by ``fault.delay`` seconds; "truncated" cuts the real answer mid-JSON. ``Emulator`` is the
base of each emulator: its data, the token it accepts, its faults, the requests it saw, and the WSGI call.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from auditor.demo.faults import Fault, FaultPlan

SERVICE_UNAVAILABLE = "<html><body>Service Unavailable</body></html>"


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None, *,
                  ensure_ascii: bool = True) -> Response:
    """A compact JSON answer."""
    return Response(json.dumps(body, separators=(",", ":"), ensure_ascii=ensure_ascii), status=status,
                    headers=dict(headers or {}), mimetype="application/json")


def raw_json(text: str, status: int = 200) -> Response:
    """An answer labelled JSON whose body is ``text`` as is (the "malformed" fault)."""
    return Response(text, status=status, mimetype="application/json")


def html_response(status: int = 503, text: str = SERVICE_UNAVAILABLE) -> Response:
    """An HTML answer (what a platform's front end serves when the API behind it is down)."""
    return Response(text, status=status, mimetype="text/html")


def truncate(response: Response) -> Response:
    """The answer cut in the middle of its body."""
    data = response.get_data()
    response.set_data(data[: max(1, len(data) // 2)])
    return response


def answer(faults: FaultPlan, path: str, refuse: Callable[[Fault], Response | None],
           serve: Callable[[], Response]) -> Response:
    """The answer to a request on ``path``: an armed fault first, else ``serve()`` (delayed or cut by a fault).

    ``refuse`` returns the platform's answer for a fault; None (or a "timeout"/"truncated" fault) lets the
    request be served.
    """
    fault = faults.take(path)
    if fault is not None and fault.kind not in ("timeout", "truncated"):
        refused = refuse(fault)
        if refused is not None:
            return refused
    if fault is not None and fault.kind == "timeout":
        time.sleep(fault.delay)
    response = serve()
    return truncate(response) if fault is not None and fault.kind == "truncated" else response


class Emulator:
    """The WSGI app base: ``data`` served, ``token`` accepted, ``faults`` armed, ``requests`` seen (under
    ``_lock``); a subclass answers in ``handle``."""

    def __init__(self, data: Mapping[str, Any], token: str, faults: FaultPlan | None = None):
        self.data = data
        self.token = token
        self.faults = faults or FaultPlan()
        self.requests: list[Any] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        """Answer one request."""
        raise NotImplementedError
