"""The demo's platforms: each ``auditor/demo/<kind>/`` package registers how the fictional company looks there.

A package registers its platform in its ``__init__`` with ``register(kind, order=..., ...)`` and one of:

- ``build(company) -> SandboxPlatform | list[SandboxPlatform]``: the platform's tenant built on top of the
  finished company (derived deterministically from its people and seed), the findings it plants and the config
  it needs (a list when one kind brings several tenants, e.g. an API tenant and an admin's export);
- ``with_people(generator) -> TenantGenerator``: for a tenant generated together with the people, whose random
  draws interleave with theirs (``auditor.demo.company.TenantGenerator``); it ends in ``company.tenants``.

and optionally ``create_emulator(data, token) -> (wsgi_app, path_prefix)``, the emulator that serves the
tenant's data and accepts ``token`` (kinds without an API, such as a file import, have none and set
``SandboxPlatform.files`` instead), and ``with_secrets(tenant, platform, settings) -> data``, the tenant's data
with the placeholder credentials it holds replaced by the configured secrets. ``order`` is the position in the
demo's config. The packages are found with pkgutil among the subpackages of ``auditor.demo``.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.config import PlatformSettings, Settings
    from auditor.demo.company import Company, PeopleGenerator, Planted, TenantGenerator


@dataclass(slots=True)
class SandboxPlatform:
    """One sandbox tenant of the fictional company on one platform."""

    kind: str
    name: str  # the configured platform name, e.g. "Kwiatek on LinkedIn"
    tenant_id: str
    data: dict[str, Any]
    token: str  # placeholder the emulator accepts; replaced by the configured secret at run time
    planted: list[Planted]
    settings: dict[str, Any] = field(default_factory=dict)  # extra [[platform]] keys (options, tenant ids, ...)
    service_accounts: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    policy_parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, str | bytes] = field(default_factory=dict)  # file name -> text (or bytes) put in the workspace
    token_env: str | None = None  # env var holding the token (default AUDITOR_<KIND>_TOKEN)
    extra_tokens: dict[str, str] = field(default_factory=dict)  # env var -> further placeholder token in data
    revocation: bool = False  # the demo enables revocation on it

    @property
    def token_variable(self) -> str:
        """The environment variable the demo config names for this platform's token."""
        return self.token_env or f"AUDITOR_{self.kind.upper()}_TOKEN"


Builder = Callable[["Company"], "SandboxPlatform | list[SandboxPlatform]"]
EmulatorFactory = Callable[[dict[str, Any], str], tuple[Any, str]]
SecretsHook = Callable[["SandboxPlatform", "PlatformSettings", "Settings"], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class DemoPlatform:
    """One registered demo platform (see the module docstring)."""

    kind: str
    order: int
    build: Builder | None = None
    with_people: Callable[[PeopleGenerator], TenantGenerator] | None = None
    create_emulator: EmulatorFactory | None = None
    with_secrets: SecretsHook | None = None


_REGISTRY: dict[str, DemoPlatform] = {}
_DISCOVERY = threading.RLock()
_discovered = False


def register(kind: str, *, order: int, build: Builder | None = None,
             with_people: Callable[[PeopleGenerator], TenantGenerator] | None = None,
             create_emulator: EmulatorFactory | None = None, with_secrets: SecretsHook | None = None) -> None:
    """Make ``kind`` a demo platform; exactly one of ``build`` and ``with_people`` makes its tenants."""
    if (build is None) == (with_people is None):
        raise ValueError(f"demo platform {kind!r}: give exactly one of build and with_people")
    _REGISTRY[kind] = DemoPlatform(kind, order, build, with_people, create_emulator, with_secrets)


def registered() -> list[DemoPlatform]:
    """Every demo platform, in config order (the ``auditor.demo`` subpackages are imported on first use)."""
    global _discovered
    with _DISCOVERY:
        if not _discovered:
            import auditor.demo as package

            for module in pkgutil.iter_modules(package.__path__):
                if module.ispkg:
                    importlib.import_module(f"{package.__name__}.{module.name}")
            _discovered = True
    return sorted(_REGISTRY.values(), key=lambda entry: entry.order)


def demo_platform(kind: str) -> DemoPlatform | None:
    """The registered demo platform of ``kind``, if any."""
    return next((entry for entry in registered() if entry.kind == kind), None)


def sandbox_platforms(company: Company, *, kinds: Collection[str] | None = None) -> list[SandboxPlatform]:
    """The tenants built on top of ``company`` (of ``kinds``, default all), in config order."""
    built: list[SandboxPlatform] = []
    for entry in registered():
        if entry.build is not None and (kinds is None or entry.kind in kinds):
            result = entry.build(company)
            built.extend(result if isinstance(result, list) else [result])
    return built


def demo_platforms(company: Company, *, kinds: Collection[str] | None = None) -> list[SandboxPlatform]:
    """Every tenant of ``company`` (of ``kinds``, default all): those generated with its people and those
    built on top of it, in config order."""
    order = {entry.kind: entry.order for entry in registered()}
    tenants = [t for t in company.tenants if kinds is None or t.kind in kinds]
    return sorted([*tenants, *sandbox_platforms(company, kinds=kinds)], key=lambda t: order[t.kind])


def has_emulator(kind: str) -> bool:
    """True when the demo platform ``kind`` has an emulator (file imports have none)."""
    entry = demo_platform(kind)
    return entry is not None and entry.create_emulator is not None


def create_emulator(kind: str, data: dict[str, Any], token: str) -> tuple[Any, str]:
    """The emulator of ``kind`` serving ``data`` and accepting ``token``: ``(wsgi_app, path_prefix)``."""
    entry = demo_platform(kind)
    if entry is None or entry.create_emulator is None:
        raise LookupError(f"no demo emulator for kind {kind!r}")
    return entry.create_emulator(data, token)
