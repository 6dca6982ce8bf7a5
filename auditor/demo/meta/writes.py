"""The Meta emulator with the write calls revocation uses: ``DELETE /{business-user-id}`` (remove a person
from the business, with every asset task they hold), ``DELETE /{business-role-request-id}`` (cancel a pending
invitation) and ``DELETE /{asset-id}/assigned_users?user=&business=`` (remove one person from one asset).

docs/platforms/meta.md documents the read edges only; these follow the official SDK's shapes
(``BusinessUser.api_delete`` / ``BusinessRoleRequest.api_delete`` send ``DELETE /{id}``;
``Page.delete_assigned_users`` and ``AdAccount.delete_assigned_users`` take ``user``) and answer Graph's
``{"success": true}``. Writes need the ``business_management`` permission, like the business edges.
``remove_person`` does the same from Python, for tests that play an admin removing access by hand.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from werkzeug.wrappers import Request

from auditor.demo.meta.callers import Caller, GraphError
from auditor.demo.meta.emulator import ASSET_EDGES, MetaEmulator

_UNSUPPORTED = "Unsupported delete request. Object with ID '{}' does not exist, cannot be loaded due to missing " \
               "permissions, or does not support this operation."


class MetaWriteEmulator(MetaEmulator):
    """``MetaEmulator`` plus the removal calls; its data is a private copy, changed in place."""

    def __init__(self, data: Mapping[str, Any], token: str, **options: Any):
        super().__init__(copy.deepcopy(dict(data)), token, **options)
        self._writes = threading.Lock()
        self.on_write: Callable[[list[str]], None] | None = None
        """Hears each write that changed the data (``["remove_person", id]``, ``["cancel_invitation", id]``,
        ``["unassign", asset_id, user_id]``), so the demo can keep it for the life of its workspace."""

    def replay(self, write: Sequence[str]) -> bool:
        """Apply a write ``on_write`` heard earlier (in an earlier run of the emulator); False if it no longer
        applies."""
        op, *args = write
        if op == "remove_person" and len(args) == 1:
            return self._remove_person(args[0])
        if op == "cancel_invitation" and len(args) == 1:
            return self._cancel_invitation(args[0])
        if op == "unassign" and len(args) == 2 and args[0] in self.assets:
            self._unassign_user(args[0], args[1])
            return True
        return False

    def _heard(self, *write: str) -> dict[str, Any]:
        if self.on_write is not None:
            self.on_write(list(write))
        return {"success": True}

    def _route(self, request: Request, path: str, caller: Caller) -> dict[str, Any]:
        if request.method != "DELETE":
            return super()._route(request, path, caller)
        self._need_business_management(caller)
        parts = [p for p in path.split("/") if p]
        if len(parts) == 1 and self._remove_person(parts[0]):
            return self._heard("remove_person", parts[0])
        if len(parts) == 1 and self._cancel_invitation(parts[0]):
            return self._heard("cancel_invitation", parts[0])
        if len(parts) == 2 and parts[1] == "assigned_users" and parts[0] in self.assets:
            return self._unassign(request, parts[0])
        raise GraphError(400, _UNSUPPORTED.format(parts[0] if parts else ""), 100, type_="GraphMethodException",
                         subcode=33)

    def remove_person(self, user_id: str) -> bool:
        """Remove a business user and all their asset tasks (what an admin does by hand); False if unknown."""
        return self._remove_person(user_id)

    def _remove_person(self, user_id: str) -> bool:
        with self._writes:
            users = self.data.get("business_users") or []
            if not any(str(u["id"]) == user_id for u in users):
                return False
            self.data["business_users"] = [u for u in users if str(u["id"]) != user_id]
            for edge in ASSET_EDGES:
                for asset in self.data.get(edge) or []:
                    assigned = asset.get("assigned_users") or []
                    asset["assigned_users"] = [a for a in assigned if str(a["id"]) != user_id]
            self._index()
        return True

    def _cancel_invitation(self, request_id: str) -> bool:
        with self._writes:
            pending = self.data.get("pending_users") or []
            if not any(str(p["id"]) == request_id for p in pending):
                return False
            self.data["pending_users"] = [p for p in pending if str(p["id"]) != request_id]
            self._index()
        return True

    def _unassign(self, request: Request, asset_id: str) -> dict[str, Any]:
        user = request.args.get("user")
        if not user:
            raise GraphError(400, "(#100) The parameter user is required", 100)
        business = request.args.get("business")
        if business and business != self.business_id:
            raise GraphError(400, "(#100) Param business must be a valid business id", 100)
        self._unassign_user(asset_id, user)
        return self._heard("unassign", asset_id, user)

    def _unassign_user(self, asset_id: str, user: str) -> None:
        with self._writes:
            asset = self.assets[asset_id][1]
            assigned = asset.get("assigned_users") or []
            asset["assigned_users"] = [a for a in assigned if str(a["id"]) != user]
            self._index()


def create_emulator(data: dict[str, Any], token: str) -> tuple[MetaWriteEmulator, str]:
    """The emulator ``auditor demo`` serves for ``data`` (reads and revocation writes), under ``/v25.0``."""
    return MetaWriteEmulator(data, token=token), "/v25.0"
