"""The connector interface and registry.

A connector fetches one tenant of one platform and normalises it into a ``TenantSnapshot``. It never
stores and never judges. Failures inside a fetch are recorded on the snapshot (``complete=False`` plus
an error naming the platform), so the scan can tell "could not verify" from "nothing there".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, ClassVar

from auditor.config import PlatformSettings, Settings
from auditor.errors import ConfigError
from auditor.model import Capabilities, TenantSnapshot

SecretResolver = Callable[[str | None, str], str]
"""``resolve(env_name, key)`` returns the secret or raises ConfigError naming the key."""


class Connector(ABC):
    """One platform's read-only connector. Subclasses set ``kind`` and ``capabilities``."""

    kind: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def __init__(self, settings: PlatformSettings, secret: SecretResolver):
        self.settings = settings
        self.secret = secret

    @property
    def name(self) -> str:
        """The configured platform name (used in every message)."""
        return self.settings.name

    def token(self) -> str:
        """The platform credential named by ``token_env`` (ConfigError naming the key when unset)."""
        return self.secret(self.settings.token_env, "platform.token_env")

    def client_settings(self) -> dict[str, Any]:
        """The HttpClient arguments every connector takes from its settings: timeout, retries, backoff and the
        cap on any wait a rate-limit answer asks for (``options.max_wait``, seconds, default 60)."""
        return {
            "timeout": self.settings.timeout,
            "max_retries": self.settings.max_retries,
            "backoff": self.settings.backoff,
            "max_wait": float(self.settings.options.get("max_wait", 60.0)),
        }

    def worker_pool(self) -> ThreadPoolExecutor:
        """A thread pool for the concurrent reads of one fetch, sized by ``options.workers`` (default 4)."""
        workers = max(1, int(self.settings.options.get("workers", 4)))
        return ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"{self.kind}-{self.name}")

    @abstractmethod
    def check(self) -> list[str]:
        """Probe authentication and permissions; return the problems found (empty when all is well)."""

    @abstractmethod
    def fetch(self, *, now: datetime, events_since: datetime | None = None) -> TenantSnapshot:
        """Read the whole tenant: accounts, assets, grants, apps and audit events since ``events_since``."""

    def lookup(self, *, now: datetime, emails: Iterable[str] = (), account_ids: Iterable[str] = ()) -> TenantSnapshot:
        """What do these emails / account ids hold right now? Default: a full fetch, filtered."""
        wanted_emails = {e.lower() for e in emails}
        wanted_ids = set(account_ids)
        snap = self.fetch(now=now, events_since=None)
        keep = {
            a.account_id for a in snap.accounts
            if a.account_id in wanted_ids or wanted_emails.intersection(e.lower() for e in a.emails)
        }
        snap.accounts = [a for a in snap.accounts if a.account_id in keep]
        snap.grants = [g for g in snap.grants if g.account_id in keep]
        snap.apps = [a for a in snap.apps if a.granted_by in keep]
        snap.events = [e for e in snap.events if e.actor_id in keep or e.target_id in keep]
        return snap


_REGISTRY: dict[str, type[Connector]] = {}


def register(cls: type[Connector]) -> type[Connector]:
    """Class decorator: make a connector available under its ``kind``."""
    _REGISTRY[cls.kind] = cls
    return cls


def connector_kinds() -> list[str]:
    """The registered connector kinds."""
    _load_builtin()
    return sorted(_REGISTRY)


def create_connector(settings: PlatformSettings, secret: SecretResolver) -> Connector:
    """Instantiate the connector for ``settings.kind`` or raise ConfigError naming the platform."""
    _load_builtin()
    try:
        cls = _REGISTRY[settings.kind]
    except KeyError:
        raise ConfigError(
            f"platform {settings.name!r}: unknown kind {settings.kind!r} (known: {', '.join(sorted(_REGISTRY))})"
        ) from None
    return cls(settings, secret)


def connector_for(settings: Settings, platform: PlatformSettings) -> Connector:
    """The connector of one configured platform, as every use-case needs it: secrets read through the settings
    (environment or secrets file), and a relative ``options.path`` (a file import) taken relative to the config
    file's folder, not the working directory."""
    path = platform.options.get("path")
    if isinstance(path, str) and path:
        options = {**platform.options, "path": str(settings.resolve_path(path))}
        platform = platform.model_copy(update={"options": options})
    return create_connector(platform, lambda env, key: settings.secret(env, key=f"platform.{key}"))


def _load_builtin() -> None:
    """Import the built-in connector modules so that they register themselves."""
    from auditor.connectors import (  # noqa: F401
        file_import,
        google_ads,
        linkedin,
        meta,
        pinterest,
        tiktok,
        x,
    )
