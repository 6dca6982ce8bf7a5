"""The Meta access the people lists do not show: pixels and catalogs, partner businesses, direct Page roles.

Read after the business's own assets (``MetaConnector.fetch``) and added to the same snapshot:

- pixels (``owned_pixels``, ``client_pixels``) and product catalogs (``owned_product_catalogs``,
  ``client_product_catalogs``) as assets of kind ``pixel`` / ``catalog``, with the grants of their
  ``assigned_users?business=``;
- partner businesses: ``/{business}/agencies`` and ``/{business}/clients`` (accounts of kind PARTNER, the
  relation in ``raw``), and per asset the agencies that hold it (``/act_{id}/agencies``,
  ``/{pixel}/agencies`` and ``shared_agencies``, ``/{catalog}/agencies``, ``/{page}/agencies``) as grants
  of the partner on that asset, privileged by the asset's task vocabulary (``mapping.asset_grant``);
- people with a direct Page role outside the business (``/{page}/roles``): user accounts (no email: they
  match the directory only through a manual link) with a grant on the Page, ``raw["source"] == "page_roles"``.

``/{page}/roles`` and ``/{page}/agencies`` need a Page token (contract page_roles_page_token_and_non_
business_only, page_agencies_page_token_only), and agencies one of a principal holding MANAGE. Page tokens
come from this fetch's single ``/me/accounts`` read (``page_access.page_tokens``, passed in), which lists
only the Pages the auditor's principal has a task on. So a real shop that wants these read grants the
auditor's system user MANAGE on each Page (its token also needs pages_manage_metadata for Page assignees and
the agencies of client Pages). A shop that will not grant that says so with ``options.page_roles: false``:
the Pages it cannot read become ONE declared coverage note on the platform (capabilities), not an
incomplete scope on every scan. Left at its default (true), a Page without a token, or without MANAGE for
its agencies, is an incomplete scope (``snapshot.scope_failed``, ``asset:<id>``), so the scan never
silently passes; ``/me/accounts`` failing, and every failed read, always is (``tenant`` for the business
lists, ``asset:<id>`` for one asset's holders) and the rest is still read. A Page-token call refused as a
token error (Meta answers code 190 for "must be called with a Page Access Token") fails that Page's scope
only, never the whole fetch.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from auditor.connectors.http import ConnectorAuthError, HttpClient
from auditor.connectors.meta.mapping import FIELDS, act_id, asset_from, asset_grant, assignee_account
from auditor.connectors.meta.page_access import PageTokens
from auditor.connectors.meta.run import Run
from auditor.errors import ConnectorError
from auditor.model import Account, AccountKind, Asset, Grant, TenantSnapshot

ASSET_LISTS: dict[str, tuple[str, bool]] = {
    # business edge -> (asset kind, owned)
    "owned_pixels": ("pixel", True),
    "client_pixels": ("pixel", False),
    "owned_product_catalogs": ("catalog", True),
    "client_product_catalogs": ("catalog", False),
}
PARTNER_LISTS: dict[str, str] = {"agencies": "agency", "clients": "client"}
"""Business edge -> the partner's relation to this business (an agency holds our assets; we serve a client)."""

AGENCY_EDGES: dict[str, tuple[str, ...]] = {
    # asset kind -> its agency edges (read with the business's token; Pages need a Page token)
    "ad_account": ("agencies",),
    "pixel": ("agencies", "shared_agencies"),
    "catalog": ("agencies",),
}
PARTNER_FIELDS: dict[str, str] = {
    "pixel": "id,name,owner_business",
    "catalog": "id,name,owner_business",
    "agencies": "id,name,adaccount_permissions,page_permissions,productcatalog_permissions",
    "clients": "id,name",
    "asset_agencies": "id,name,access_requested_time,access_status,access_updated_time,permitted_tasks",
    "agencies_of": "id,name,permitted_tasks",  # pixel / catalog agencies: permitted_tasks assumed
    "roles": "id,name,tasks",
}
MAX_LISTED = 20
"""Pages named in the declared-gap note (the rest are counted)."""
ClientFactory = Callable[[str], HttpClient]
"""Builds an HttpClient authenticated with the given (Page) token."""


def _scoped(run: Run, snap: TenantSnapshot, jobs: list[tuple[str, Callable[[], Any]]],
            *, page_token: bool = False) -> list[Any]:
    """Run ``(scope, job)`` pairs on the pool; a failure marks its scope and gives None (order kept).

    A token error is fatal (the fetch's own token) unless ``page_token``: a derived Page token refused
    fails only its Page's scope.
    """
    futures = [(scope, run.pool.submit(fn)) for scope, fn in jobs]
    results: list[Any] = []
    for scope, future in futures:
        try:
            results.append(future.result())
        except ConnectorError as exc:
            if isinstance(exc, ConnectorAuthError) and not page_token:
                for _, other in futures:
                    other.cancel()
                raise
            fail(run, snap, scope, str(exc))
            results.append(None)
    return results


def fail(run: Run, snap: TenantSnapshot, scope: str, reason: str) -> None:
    """Record one failed scope on the snapshot and in the run's errors (which become ``snap.errors``)."""
    snap.scope_failed(scope, reason)
    if reason not in run.errors:
        run.errors.append(reason)


def partner_account(item: dict[str, Any], relation: str) -> Account:
    """A partner business (agency or client) as a PARTNER account; its raw fields kept as evidence."""
    raw = {k: v for k, v in item.items() if k not in ("permitted_tasks", "tasks")}
    raw["relation"] = relation
    return Account(account_id=str(item["id"]), kind=AccountKind.PARTNER, name=item.get("name"), raw=raw)


def partner_grant(asset: Asset, item: dict[str, Any], edge: str) -> Grant:
    """The grant of a partner on ``asset`` from its ``permitted_tasks`` (absent: tasks unknown, not safe)."""
    tasks = item.get("permitted_tasks")
    grant = asset_grant(asset.kind, asset.asset_id, str(item["id"]), {"tasks": tasks or []})
    grant.raw["source"] = edge
    for key in ("access_status", "access_requested_time", "access_updated_time"):
        if key in item:
            grant.raw[key] = item[key]
    if not isinstance(tasks, list):
        grant.role = "UNKNOWN"
        grant.raw["tasks_unknown"] = True
    return grant


def role_account(item: dict[str, Any]) -> Account:
    """A person with a direct Page role who is not in the business (no email: matched by manual link)."""
    raw = {k: v for k, v in item.items() if k != "tasks"}
    raw["source"] = "page_roles"
    return Account(account_id=str(item["id"]), kind=AccountKind.USER, name=item.get("name"), raw=raw)


class PartnerReader:
    """One fetch's reads of pixels, catalogs, partners and Page roles into ``snap`` (see the module doc)."""

    def __init__(self, run: Run, business_id: str, snap: TenantSnapshot, page_client: ClientFactory,
                 tokens: PageTokens, *, page_roles: bool = True):
        self.run, self.business_id, self.snap, self.page_client = run, business_id, snap, page_client
        self.tokens, self.page_roles = tokens, page_roles
        self.known = {a.account_id for a in snap.accounts}
        self.gaps: list[str] = []  # Pages (with what is unread) declared unread by ``page_roles: false``

    def read(self) -> None:
        """Every read of this module, in a fixed order (the output order is deterministic)."""
        self._assets_and_partners()
        self._asset_holders()
        self._pages()

    def _add_account(self, account: Account) -> None:
        """Add an account not seen yet (the first reading of an id wins)."""
        if account.account_id not in self.known:
            self.known.add(account.account_id)
            self.snap.accounts.append(account)

    def _rows(self, path: str, fields: str, **params: str) -> Callable[[], list[dict]]:
        return lambda: self.run.rows(path, {"fields": fields, **params})

    def _assets_and_partners(self) -> None:
        biz = f"/{self.business_id}"
        jobs = [("tenant", self._rows(f"{biz}/{edge}", PARTNER_FIELDS[kind]))
                for edge, (kind, _) in ASSET_LISTS.items()]
        jobs += [("tenant", self._rows(f"{biz}/{edge}", PARTNER_FIELDS[edge])) for edge in PARTNER_LISTS]
        results = _scoped(self.run, self.snap, jobs)
        have = {a.asset_id for a in self.snap.assets}
        for (kind, owned), rows in zip(ASSET_LISTS.values(), results, strict=False):
            for item in rows or []:
                if str(item["id"]) not in have:
                    have.add(str(item["id"]))
                    self.snap.assets.append(asset_from(kind, item, owned))
        for relation, rows in zip(PARTNER_LISTS.values(), results[len(ASSET_LISTS):], strict=True):
            for item in rows or []:
                self._add_account(partner_account(item, relation))

    def _asset_holders(self) -> None:
        """Pixel and catalog assigned users, and the agencies of ad accounts, pixels and catalogs."""
        users = {"business": self.business_id}
        jobs: list[tuple[str, Callable[[], Any]]] = []
        keys: list[tuple[Asset, str]] = []
        for asset in self.snap.assets:
            scope = f"asset:{asset.asset_id}"
            node = act_id(asset.asset_id) if asset.kind == "ad_account" else asset.asset_id
            if asset.kind in ("pixel", "catalog"):
                jobs.append((scope, self._rows(f"/{node}/assigned_users", FIELDS["assigned_users"], **users)))
                keys.append((asset, "assigned_users"))
            for edge in AGENCY_EDGES.get(asset.kind, ()):
                fields = PARTNER_FIELDS["asset_agencies" if asset.kind == "ad_account" else "agencies_of"]
                jobs.append((scope, self._rows(f"/{node}/{edge}", fields)))
                keys.append((asset, edge))
        for (asset, edge), rows in zip(keys, _scoped(self.run, self.snap, jobs), strict=True):
            self._holders(asset, edge, rows or [])

    def _holders(self, asset: Asset, edge: str, rows: list[dict]) -> None:
        for item in rows:
            if edge == "assigned_users":
                self._add_account(assignee_account(item))
                self.snap.grants.append(asset_grant(asset.kind, asset.asset_id, str(item["id"]), item))
            else:
                self._add_account(partner_account(item, "agency"))
                self.snap.grants.append(partner_grant(asset, item, edge))

    def _page_assets(self) -> list[Asset]:
        return [a for a in self.snap.assets if a.kind == "page"]

    def _unread(self, page: Asset, what: str, why: str) -> None:
        """A Page edge the auditor cannot read: an incomplete scope, or a declared gap (``page_roles`` false)
        when the cause is the shop's choice (no task / no MANAGE), never when ``/me/accounts`` failed."""
        if self.page_roles or self.tokens.error:
            fail(self.run, self.snap, f"asset:{page.asset_id}", f"{self.run.platform}: {why} for page "
                 f"{page.asset_id}: its {what} unread")
        else:
            self.gaps.append(f"{page.asset_id} ({what})")

    def _pages(self) -> None:
        """``/{page}/roles`` and ``/{page}/agencies`` of every Page, each with that Page's token."""
        pages = self._page_assets()
        platform = self.run.platform
        with ExitStack() as stack:
            jobs: list[tuple[str, Callable[[], Any]]] = []
            keys: list[tuple[Asset, str]] = []
            for page in pages:
                scope = f"asset:{page.asset_id}"
                held = self.tokens.tokens.get(page.asset_id)
                if held is None:
                    why = (f"/me/accounts could not be read ({self.tokens.error})" if self.tokens.error
                           else "the auditor's principal has no task on it")
                    self._unread(page, "roles and agencies are", f"no Page token ({why})")
                    continue
                edges = [("roles", PARTNER_FIELDS["roles"])]
                if self.tokens.manages(page.asset_id):
                    edges.append(("agencies", PARTNER_FIELDS["asset_agencies"]))
                else:
                    self._unread(page, "agencies are", "the auditor's principal lacks the MANAGE task")
                client = stack.enter_context(self.page_client(held[0]))
                client.add_secret(held[0])
                page_run = Run(platform, client, self.run.pool, self.run.page_size)
                page_run.errors = self.run.errors
                for edge, fields in edges:
                    path = f"/{page.asset_id}/{edge}"
                    jobs.append((scope, lambda r=page_run, p=path, f=fields: r.rows(p, {"fields": f})))
                    keys.append((page, edge))
            results = _scoped(self.run, self.snap, jobs, page_token=True)
        for (page, edge), rows in zip(keys, results, strict=True):
            for item in rows or []:
                if edge == "agencies":
                    self._add_account(partner_account(item, "agency"))
                    self.snap.grants.append(partner_grant(page, item, "page_agencies"))
                    continue
                self._add_account(role_account(item))
                grant = asset_grant("page", page.asset_id, str(item["id"]), item)
                grant.raw["source"] = "page_roles"
                self.snap.grants.append(grant)
        if self.gaps:
            note = (f"{platform}: Page roles and Page agencies are not read on {len(self.gaps)} Page(s) "
                    f"(options.page_roles is false, a declared coverage gap): {', '.join(self.gaps[:MAX_LISTED])}"
                    + (f" and {len(self.gaps) - MAX_LISTED} more" if len(self.gaps) > MAX_LISTED else ""))
            self.snap.capabilities.notes = (*self.snap.capabilities.notes, note)


def read_partners(run: Run, business_id: str, snap: TenantSnapshot, page_client: ClientFactory,
                  tokens: PageTokens, *, page_roles: bool = True) -> None:
    """Add pixels, catalogs, partners and direct Page roles to ``snap`` (failures per scope, never fatal
    except a rejected token of the fetch itself); ``tokens`` is this fetch's ``page_access.page_tokens``."""
    PartnerReader(run, business_id, snap, page_client, tokens, page_roles=page_roles).read()
