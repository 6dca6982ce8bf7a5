"""The web UI: ``create_app(settings)`` builds the Flask app; ``serve`` runs it with waitress.

``create_app`` is imported on first use, so that light modules of the package (``auditor.accounts.roles``) can be
imported by the CLI without loading Flask and every blueprint.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from auditor.web.app import create_app

        return create_app
    raise AttributeError(f"module 'auditor.web' has no attribute {name!r}")
