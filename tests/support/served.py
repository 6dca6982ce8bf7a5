"""An emulator served on a free loopback port, with a factory of connectors pointed at it (connector tests)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from auditor.config import PlatformSettings
from auditor.demo.server import serve


class ServedEmulator:
    """One emulator on a free port. Subclasses set ``prefix`` (the API's path prefix), ``connector_class``,
    ``defaults`` (PlatformSettings values besides ``base_url``) and ``resolve`` (the tests' SecretResolver)."""

    prefix: ClassVar[str] = ""
    connector_class: ClassVar[type]
    defaults: ClassVar[dict[str, Any]] = {}
    resolve: ClassVar[Callable[[str | None, str], str]]

    def __init__(self, emulator: Any):
        self.emulator = emulator
        self.handle = serve(emulator)
        self.url = self.handle.url
        self.base_url = self.url + self.prefix

    @property
    def faults(self) -> Any:
        """The emulator's fault plan."""
        return self.emulator.faults

    def settings(self, **changes: Any) -> PlatformSettings:
        """The platform settings pointed at this emulator, with ``changes``."""
        return PlatformSettings(**{**copy.deepcopy(self.defaults), "base_url": self.base_url, **changes})

    def connector(self, **changes: Any) -> Any:
        """A connector over ``settings(**changes)``."""
        return self.connector_class(self.settings(**changes), type(self).resolve)

    def requests(self, path: str = "") -> list[Any]:
        """Requests the emulator saw whose path contains ``path``, in arrival order."""
        return [r for r in self.emulator.requests if path in r.path]

    def paths(self, contains: str = "") -> list[str]:
        """Paths the emulator saw (without the API prefix), in arrival order."""
        return [r.path for r in self.requests(contains)]


@contextmanager
def serving(make: Callable[..., ServedEmulator]) -> Iterator[Callable[..., ServedEmulator]]:
    """Yield ``start(...)``, which serves ``make(...)``; everything started is stopped afterwards."""
    started: list[ServedEmulator] = []

    def start(*args: Any, **kwargs: Any) -> ServedEmulator:
        served = make(*args, **kwargs)
        started.append(served)
        return served

    try:
        yield start
    finally:
        for served in started:
            served.handle.stop()
