"""Which customers a Google Ads scan reads, and the ``login-customer-id`` each one needs.

``customers:listAccessibleCustomers`` lists only the customers the user reaches directly; every client below a
manager is found with GAQL ``FROM customer_client`` on that manager (itself at level 0, all direct and indirect
clients at level >= 1). A customer reached directly is read with its own id as ``login-customer-id``; a client
reached through a manager needs that top manager's id (otherwise USER_PERMISSION_DENIED). Canceled and closed
clients cannot be read and are listed apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from auditor.connectors.google_ads.mapping import customer_id
from auditor.connectors.http import ConnectorAuthError
from auditor.errors import ConnectorError

CLIENT_QUERY = ("SELECT customer_client.id, customer_client.level, customer_client.manager, "
                "customer_client.status, customer_client.hidden, customer_client.descriptive_name "
                "FROM customer_client")
UNREADABLE = frozenset({"CANCELED", "CLOSED"})


@dataclass(slots=True)
class Routes:
    """Customer id -> the login-customer-id to send (None: no header), in reading order, plus what was left
    out (closed clients) and the managers whose client list could not be read."""

    login: dict[str, str | None] = field(default_factory=dict)
    closed: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def discover(roots: list[str], read_clients: Callable[[str, str], list[dict[str, Any]]]) -> Routes:
    """Every root (read as itself) and every enabled client below a root manager (read through that root).

    ``read_clients(customer, login)`` answers the ``customerClient`` objects of ``CLIENT_QUERY``. A rejected
    credential raises; any other failure of one root is recorded in ``failures`` and the other roots are read.
    """
    routes = Routes(login={root: root for root in roots})
    for root in roots:
        try:
            rows = read_clients(root, root)
        except ConnectorAuthError:
            raise
        except ConnectorError as exc:
            routes.failures.append(f"{exc} (client list of manager {root})")
            continue
        for row in rows:
            try:
                cid = customer_id(row.get("id"))
            except ValueError:
                routes.failures.append(f"{root}: a customer_client row without a readable id")
                continue
            if cid in routes.login or int(row.get("level") or 0) == 0:
                continue
            if row.get("status") in UNREADABLE:
                routes.closed.append({"customer": cid, "status": row.get("status"), "manager": root})
                continue
            routes.login[cid] = routes.login[root]
    return routes
