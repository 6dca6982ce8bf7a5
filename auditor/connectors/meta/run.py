"""The shared state of one Meta read: client, thread pool, paging and the errors recorded on the way."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from auditor.connectors.http import HttpClient
from auditor.connectors.jobs import Job, gather
from auditor.connectors.meta import dialect
from auditor.connectors.meta.mapping import BUSINESS_EDGES, asset_from
from auditor.errors import ConnectorError
from auditor.model import Account, Asset


class Run:
    """One fetch's or lookup's shared state; ``errors`` collects the recorded (non-fatal) failures."""

    def __init__(self, platform: str, client: HttpClient, pool: ThreadPoolExecutor, page_size: int):
        self.platform = platform
        self.client = client
        self.pool = pool
        self.page_size = page_size
        self.errors: list[str] = []

    def rows(self, path: str, params: Mapping[str, Any] | None = None, *, need_id: bool = True) -> list[dict]:
        """Every item of a paged edge; items that are not objects (or lack an id) are skipped and reported."""
        out: list[dict] = []
        bad = 0
        query = {"limit": self.page_size, **(params or {})}
        for page in self.client.iter_pages(path, query, dialect.next_page):
            for item in page:
                if isinstance(item, dict) and (not need_id or item.get("id") not in (None, "")):
                    out.append(item)
                else:
                    bad += 1
        if bad:
            self.errors.append(f"{self.platform}: {bad} malformed item(s) skipped in GET {path}")
        return out

    def node(self, path: str, params: Mapping[str, Any] | None = None) -> dict:
        """One node (a JSON object)."""
        body = self.client.get_json(path, params)
        if not isinstance(body, dict):
            raise ConnectorError(self.platform, f"unexpected answer from GET {path}: not an object")
        return body

    def gather(self, jobs: list[Job], core: Iterable[str] = ()) -> list[Any]:
        """Run jobs concurrently (see ``auditor.connectors.jobs.gather``); failures go to ``errors``."""
        return gather(self.pool, jobs, self.errors, core)



def assets_of(edge_results: Mapping[str, list[dict] | None]) -> list[Asset]:
    """Assets of the business edges in edge order, de-duplicated by id (first occurrence wins)."""
    seen: dict[str, Asset] = {}
    for edge, rows in edge_results.items():
        kind, owned = BUSINESS_EDGES[edge]
        for item in rows or []:
            seen.setdefault(str(item["id"]), asset_from(kind, item, owned))
    return list(seen.values())


def wanted(account: Account, ids: set[str], emails: set[str]) -> bool:
    """Whether an account is one of the wanted ids or carries one of the wanted (lower-case) emails."""
    return account.account_id in ids or any(e.lower() in emails for e in account.emails)
