"""What the Google account connectors (Tag Manager, Analytics) share: the account id setting and the client.

A subclass sets ``DEFAULT_BASE_URL``, ``NEEDS`` (the scopes and role a 401/403 names) and ``ACCOUNT`` (what
``tenant_id`` is, for the message when it is missing).
"""

from __future__ import annotations

from typing import ClassVar

import httpx

from auditor.config import PlatformSettings
from auditor.connectors.base import Connector, SecretResolver
from auditor.connectors.gtm.dialect import error_reader
from auditor.connectors.http import HttpClient
from auditor.errors import ConfigError


class GoogleAccountConnector(Connector):
    """A read-only connector of one Google account, with a bearer token and Google's error bodies."""

    DEFAULT_BASE_URL: ClassVar[str]
    NEEDS: ClassVar[str]
    ACCOUNT: ClassVar[str]

    def __init__(self, settings: PlatformSettings, secret: SecretResolver, *,
                 transport: httpx.BaseTransport | None = None):
        super().__init__(settings, secret)
        self._transport = transport

    def _account_id(self) -> str:
        value = self.settings.tenant_id or self.settings.business_id
        if not value:
            raise ConfigError(f"platform {self.name!r}: tenant_id (the {self.ACCOUNT} id) is not set")
        return str(value)

    def _client(self, token: str) -> HttpClient:
        return HttpClient(self.name, self.settings.base_url or self.DEFAULT_BASE_URL,
                          auth=lambda: {"Authorization": f"Bearer {token}"}, **self.client_settings(),
                          error_info=error_reader(self.NEEDS), secrets=[token], transport=self._transport)
