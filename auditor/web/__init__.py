"""The web UI: ``create_app(settings)`` builds the Flask app; ``serve`` runs it with waitress."""

from auditor.web.app import create_app

__all__ = ["create_app"]
