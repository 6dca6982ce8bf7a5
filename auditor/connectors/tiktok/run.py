"""One TikTok read: the HTTP client, page/page_size paging, concurrent jobs and the errors recorded on the way."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from auditor.connectors.http import HttpClient
from auditor.connectors.jobs import Job, gather
from auditor.errors import ConnectorError

MAX_PAGES = 10_000


class Run:
    """Shared state of one fetch; ``errors`` collects the recorded (non-fatal) failures, ``scopes`` the scopes
    (``asset:<id>``, ``account:<id>``, ``tenant``) read incompletely, each with its reason."""

    def __init__(self, platform: str, client: HttpClient, pool: ThreadPoolExecutor):
        self.platform = platform
        self.client = client
        self.pool = pool
        self.errors: list[str] = []
        self.scopes: dict[str, str] = {}

    def _fail(self, message: str) -> ConnectorError:
        return ConnectorError(self.platform, message)

    def data(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """The ``data`` object of one envelope answer (code 0); anything else is a truncated answer."""
        body = self.client.get_json(path, params)
        if not isinstance(body, dict) or body.get("code") != 0 or not isinstance(body.get("data"), dict):
            raise self._fail(f"truncated answer from GET {path}: no envelope with code 0 and a 'data' object")
        return body["data"]

    def rows(self, path: str, params: Mapping[str, Any], page_size: int, list_key: str = "list") -> list[dict]:
        """Every item of a paged list (``page``/``page_size``, ``data.page_info.total_page``).

        A page without the list or without ``page_info`` is a truncated page: ConnectorError. Items that are
        not objects are skipped and reported.
        """
        out: list[dict] = []
        bad = 0
        page = 1
        while True:
            data = self.data(path, {**params, "page": page, "page_size": page_size})
            items, info = data.get(list_key), data.get("page_info")
            total = info.get("total_page") if isinstance(info, dict) else None
            if not isinstance(items, list) or isinstance(total, bool) or not isinstance(total, int):
                raise self._fail(f"truncated page from GET {path} (page {page}): no 'data.{list_key}' list "
                                 "or no 'page_info.total_page'")
            for item in items:
                if isinstance(item, dict):
                    out.append(item)
                else:
                    bad += 1
            if page >= total or not items:
                break
            page += 1
            if page > MAX_PAGES:
                raise self._fail(f"paging did not end at GET {path}: more than {MAX_PAGES} pages")
        if bad:
            self.errors.append(f"{self.platform}: {bad} malformed item(s) skipped in GET {path}")
        return out

    def gather(self, jobs: list[Job], core: Iterable[str] = ()) -> list[Any]:
        """Run jobs concurrently (see ``auditor.connectors.jobs.gather``); failures go to ``errors``."""
        return gather(self.pool, jobs, self.errors, core)

    def gather_scoped(self, jobs: list[Job]) -> list[Any]:
        """Run jobs labelled by their scope concurrently; a failed job records its scope (result None)."""
        failed: list[str] = []
        results = gather(self.pool, jobs, failed)
        reasons = iter(failed)  # gather records failures in job order
        for (scope, _), result in zip(jobs, results, strict=True):
            if result is None:
                self.scopes.setdefault(scope, next(reasons))
        return results


def filtering(**values: Any) -> str:
    """TikTok's JSON-encoded ``filtering`` query parameter (None values left out)."""
    return json.dumps({k: v for k, v in values.items() if v is not None}, separators=(",", ":"))

