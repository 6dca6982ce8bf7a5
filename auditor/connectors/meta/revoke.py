"""Revocation on Meta Business Manager, the connector's optional ability (see ``Connector.revoker``).

``DELETE /{business-user-id}`` removes a person (and every asset task they hold in the business);
``DELETE /{business-role-request-id}`` cancels a pending invitation. The Graph API reference in
docs/platforms/meta.md lists the read edges only; these calls follow the official SDK
(``BusinessUser.api_delete`` and ``BusinessRoleRequest.api_delete`` send ``DELETE /{id}``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from auditor.connectors.base import Proposal, Record
from auditor.connectors.http import HttpClient
from auditor.errors import ConnectorError

ACTIONS = frozenset({"remove_business_user", "cancel_invitation"})
MAX_RETRIES = 1  # a write: one retry on 5xx / rate limits, no more


class MetaRevoker:
    """Removes business users and cancels invitations of one configured Meta business."""

    def __init__(self, name: str, client: Callable[[], HttpClient]):
        """``client`` opens the connector's own client (its token, settings and at most ``MAX_RETRIES``)."""
        self.name = name
        self._client = client

    def proposals(self, items: Iterable[Mapping[str, Any]]) -> list[Proposal]:
        """A removal per business user account, a cancellation per invitation."""
        found = []
        for item in items:
            account_kind = (item.get("detail") or {}).get("account_kind")
            if item["kind"] == "account" and account_kind == "user":
                found.append(Proposal("remove_business_user", item["account_id"], f"remove {item['label']}"))
            elif item["kind"] == "invitation":
                target = str(item["account_id"]).removeprefix("invite:")
                found.append(Proposal("cancel_invitation", target, f"cancel {item['label']}"))
        return found

    def execute(self, action: str, target: str, record: Record) -> None:
        """One ``DELETE /{target}`` through the connector's client, recorded; ConnectorError when it fails."""
        if action not in ACTIONS or not target.isdigit():
            raise ConnectorError(self.name, f"cannot {action} {target!r}")
        path = f"/{target}"
        with self._client() as client:
            try:
                response = client.request("DELETE", path)
            except ConnectorError as exc:
                record("DELETE", path, exc.status, "error", str(exc))
                raise
        body = response.text[:200]
        record("DELETE", path, response.status_code, "ok", body)
        if '"success":false' in body.replace(" ", ""):
            raise ConnectorError(self.name, f"DELETE {path} answered success=false")
