"""The connector interface, its options, its optional abilities and the registry.

A connector fetches one tenant of one platform and normalises it into a ``TenantSnapshot``. It never
stores and never judges. Failures inside a fetch are recorded on the snapshot (``complete=False`` plus
an error naming the platform), so the scan can tell "could not verify" from "nothing there".

Each connector declares the ``options`` it takes as a pydantic model (``Options``, built on
``ConnectorOptions``); the config loader validates every platform's options against its kind's model, so a
typo stops the command before anything runs. A connector may also offer optional abilities: ``revoker()``
returns the platform's ``Revoker`` where its API allows removing access (None by default).

The registry is filled by registration: every subpackage of ``auditor.connectors`` and every module named by
the entry-point group ``auditor.connectors`` is imported once, and its ``@register`` classes become kinds.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Protocol, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from auditor.config import PlatformSettings, Settings
from auditor.errors import ConfigError
from auditor.model import Capabilities, TenantSnapshot

if TYPE_CHECKING:
    import httpx

ENTRY_POINT_GROUP = "auditor.connectors"

SecretResolver = Callable[[str | None, str], str]
"""``resolve(env_name, key)`` returns the secret or raises ConfigError naming the key."""

Record = Callable[[str, str, int | None, str, str | None], None]
"""``record(method, path, status, outcome, detail)``: log one API call a revocation made."""


def _number_as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Id = Annotated[str, BeforeValidator(_number_as_text)]
"""An identifier option, written in the config as a string or a number (``123`` and ``"123"`` alike)."""


class ConnectorOptions(BaseModel):
    """The ``options`` every connector takes; a connector's own ``Options`` extends it. Unknown keys are refused.

    ``max_wait``: the cap, in seconds, on any wait a rate-limit answer asks for; ``workers``: the size of the
    thread pool for the concurrent reads of one fetch.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_wait: float = Field(default=60.0, ge=0)
    workers: int = Field(default=4, ge=1, le=64)

    @classmethod
    def of(cls, platform: PlatformSettings) -> Self:
        """The platform's options validated; ConfigError naming the platform and the key."""
        try:
            return cls.model_validate(platform.options)
        except ValidationError as exc:
            raise ConfigError(f"platform {platform.name!r}: options: {_problem(exc)}") from None

    def resolved(self, resolve: Callable[[str], Path | None]) -> Self:
        """These options with file paths made absolute by ``resolve`` (the config's folder). Default: none."""
        return self


def _problem(exc: ValidationError) -> str:
    """The first problem of a validation error as one phrase naming the key (an unknown key first: a typo
    shows as both an unknown key and a missing one, and the unknown one is the news)."""
    errors = exc.errors()
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    key = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden":
        return f"unknown key {key!r}"
    if first["type"] == "missing":
        return f"missing key {key!r}"
    error = (first.get("ctx") or {}).get("error")
    message = str(error) if first["type"] == "value_error" and error is not None else first["msg"]
    return f"{key}: {message}" if key else message


@dataclass(frozen=True, slots=True)
class Proposal:
    """One revocation call the tool proposes: ``action`` on ``target`` (the platform's id), told by ``label``."""

    action: str
    target: str
    label: str


class Revoker(Protocol):
    """The optional ability to remove access through a platform's API (see ``Connector.revoker``)."""

    def proposals(self, items: Iterable[Mapping[str, Any]]) -> list[Proposal]:
        """Proposals for the offboarding items (rows of ``offboarding_item``) still present on this platform."""
        ...

    def execute(self, action: str, target: str, record: Record) -> None:
        """Carry out one approved proposal, recording every call; ConnectorError when it fails."""
        ...


class Connector(ABC):
    """One platform's read-only connector. Subclasses set ``kind``, ``capabilities`` and, when they take
    options of their own, ``Options``."""

    kind: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    Options: ClassVar[type[ConnectorOptions]] = ConnectorOptions

    def __init__(self, settings: PlatformSettings, secret: SecretResolver):
        self.settings = settings
        self.secret = secret
        self.options = self.Options.of(settings)

    @property
    def name(self) -> str:
        """The configured platform name (used in every message)."""
        return self.settings.name

    def token(self) -> str:
        """The platform credential named by ``token_env`` (ConfigError naming the key when unset)."""
        return self.secret(self.settings.token_env, "platform.token_env")

    def client_settings(self) -> dict[str, Any]:
        """The HttpClient arguments every connector takes from its settings: timeout, retries, backoff and the
        cap on any wait a rate-limit answer asks for (``options.max_wait``)."""
        return {
            "timeout": self.settings.timeout,
            "max_retries": self.settings.max_retries,
            "backoff": self.settings.backoff,
            "max_wait": self.options.max_wait,
        }

    def worker_pool(self) -> ThreadPoolExecutor:
        """A thread pool for the concurrent reads of one fetch, sized by ``options.workers``."""
        return ThreadPoolExecutor(max_workers=self.options.workers, thread_name_prefix=f"{self.kind}-{self.name}")

    def revoker(self, *, transport: httpx.BaseTransport | None = None) -> Revoker | None:
        """The optional ability to revoke access on this platform; None (the default) when it cannot.
        ``transport`` replaces the network (tests)."""
        return None

    def source_fingerprint(self) -> str | None:
        """A cheap digest of everything ``fetch`` would read, when the connector can tell without reading it
        (an export file's SHA-256); None (the default) when only a fetch can tell. A scan whose other inputs
        did not move either carries the platform's last reading over instead of reading it again
        (``services.scan_inputs``). It must change whenever ``fetch``'s answer could."""
        return None

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
_DISCOVERED = threading.Event()
_DISCOVERING = threading.RLock()


def register(cls: type[Connector]) -> type[Connector]:
    """Class decorator: make a connector available under its ``kind``."""
    _REGISTRY[cls.kind] = cls
    return cls


def connector_kinds() -> list[str]:
    """The registered connector kinds: the one list of platform kinds (connectors, demo and revocation)."""
    _discover()
    return sorted(_REGISTRY)


_PACKAGES = {"import": "file_import"}
"""Kinds whose package is not named after them (``import`` is a Python keyword)."""


def _import_kind(kind: str) -> type[Connector] | None:
    """The connector of ``kind`` from its own package alone (importing the 13 of them costs a scan start almost
    half a second); None when no package of ours is named after it (a plugin's kind, or unknown)."""
    name = _PACKAGES.get(kind, kind)
    if not name.isidentifier():
        return None
    module = f"{__package__ or 'auditor.connectors'}.{name}"
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None
        raise
    return _REGISTRY.get(kind)


def connector_class(platform: PlatformSettings) -> type[Connector]:
    """The connector class of ``platform.kind`` (its package imported on first use, every connector and plugin
    only when that does not find it); ConfigError naming the platform when the kind is unknown."""
    found = _REGISTRY.get(platform.kind) or _import_kind(platform.kind)
    if found is not None:
        return found
    _discover()
    try:
        return _REGISTRY[platform.kind]
    except KeyError:
        raise ConfigError(
            f"platform {platform.name!r}: unknown kind {platform.kind!r} (known: {', '.join(sorted(_REGISTRY))})"
        ) from None


def platform_options(platform: PlatformSettings) -> ConnectorOptions:
    """The platform's options validated against its kind's model (ConfigError naming the platform and key)."""
    return connector_class(platform).Options.of(platform)


def create_connector(settings: PlatformSettings, secret: SecretResolver) -> Connector:
    """Instantiate the connector for ``settings.kind`` or raise ConfigError naming the platform."""
    return connector_class(settings)(settings, secret)


def connector_for(settings: Settings, platform: PlatformSettings) -> Connector:
    """The connector of one configured platform, as every use-case needs it: secrets read through the settings
    (environment or secrets file), and relative file paths in its options (a file import's ``path``) taken
    relative to the config file's folder, not the working directory."""
    connector = create_connector(platform, lambda env, key: settings.secret(env, key=key))
    connector.options = connector.options.resolved(settings.resolve_path)
    return connector


def _discover() -> None:
    """Import, once, every subpackage of ``auditor.connectors`` and every ``auditor.connectors`` entry point,
    so that their connectors register themselves. An entry point may also name a Connector class."""
    if _DISCOVERED.is_set():
        return
    with _DISCOVERING:
        if _DISCOVERED.is_set():
            return
        package = importlib.import_module(__package__ or "auditor.connectors")
        for module in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            if module.ispkg:
                importlib.import_module(module.name)
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            try:
                loaded = entry.load()
            except Exception as exc:  # noqa: BLE001 - any import failure of a plugin is a configuration problem
                raise ConfigError(f"connector plugin {entry.name!r} ({entry.value}) cannot be loaded: {exc}") from exc
            if isinstance(loaded, type) and issubclass(loaded, Connector):
                register(loaded)
        _DISCOVERED.set()
