"""``serve(settings, host, port)``: the web UI on waitress, a production WSGI server."""

from __future__ import annotations

import logging

from auditor.config import Settings

log = logging.getLogger("auditor.web")


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Build the app (ConfigError when a key is missing) and serve it until interrupted."""
    from waitress import serve as waitress_serve

    from auditor.web.app import create_app

    app = create_app(settings)
    host = host or settings.web.host
    port = port or settings.web.port
    log.info("auditor web UI on http://%s:%s/", host, port)
    waitress_serve(
        app, host=host, port=port, threads=settings.web.threads, ident="auditor", clear_untrusted_proxy_headers=True
    )
