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

A fetch starts these reads as their inputs become known (``PartnerReader.start_lists`` at once,
``start_holders`` with the business's assets, ``start_listed_holders`` when the pixel and catalog lists are
in, ``start_pages`` with the Page tokens) and consumes them afterwards with ``read``, in the same order as
a reader that starts nothing ahead: the snapshot is the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import ExitStack
from typing import Any

from auditor.connectors.http import ConnectorAuthError, HttpClient
from auditor.connectors.jobs import bind
from auditor.connectors.meta.mapping import FIELDS, act_id, asset_from, asset_grant, assignee_account
from auditor.connectors.meta.page_access import PageTokens
from auditor.connectors.meta.run import Run, Started
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


def _scoped(run: Run, snap: TenantSnapshot, started: Started, *, page_token: bool = False) -> list[Any]:
    """Results of started ``(scope, job)`` pairs (``Run.start``) in order; a failure marks its scope and
    gives None.

    A token error is fatal (the fetch's own token) unless ``page_token``: a derived Page token refused
    fails only its Page's scope.
    """
    results: list[Any] = []
    for scope, pending in started:
        try:
            results.append(pending.result())
        except ConnectorError as exc:
            if isinstance(exc, ConnectorAuthError) and not page_token:
                for _, other in started:
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


HolderKey = tuple[str, str]
"""An asset's (id, kind): the key of its started holder reads."""
PagePlan = tuple[list[tuple[str, str]], Started, list[str]]
"""One Page's reads: its unread edges (what, why) to record, its started edge reads and their edge names."""


class PartnerReader:
    """One fetch's reads of pixels, catalogs, partners and Page roles into ``snap`` (see the module doc).

    ``read`` reads and records everything in a fixed order. Reads started ahead (``start_*``) are consumed
    by ``read`` at their place in that order; the others are started when ``read`` gets there. Use it as a
    context manager (it holds the Page clients of started reads)."""

    def __init__(self, run: Run, business_id: str, snap: TenantSnapshot, page_client: ClientFactory,
                 tokens: PageTokens | None = None, *, page_roles: bool = True):
        self.run, self.business_id, self.snap, self.page_client = run, business_id, snap, page_client
        self.tokens, self.page_roles = tokens or PageTokens(), page_roles
        self.known: set[str] = set()
        self.gaps: list[str] = []  # Pages (with what is unread) declared unread by ``page_roles: false``
        self._lists: Started | None = None
        self._listed: tuple[list[Asset], list[Account]] | None = None
        self._holders: dict[HolderKey, tuple[Started, list[str]]] = {}
        self._pages: dict[str, PagePlan] = {}
        self._clients = ExitStack()

    def __enter__(self) -> PartnerReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the Page clients opened for started reads."""
        self._clients.close()

    def read(self) -> None:
        """Every read of this module, in a fixed order (the output order is deterministic)."""
        self.known = {a.account_id for a in self.snap.accounts}
        self._assets_and_partners()
        self._asset_holders()
        self._read_pages()

    def _add_account(self, account: Account) -> None:
        """Add an account not seen yet (the first reading of an id wins)."""
        if account.account_id not in self.known:
            self.known.add(account.account_id)
            self.snap.accounts.append(account)

    def _rows(self, path: str, fields: str, **params: str) -> Callable[[], list[dict]]:
        return lambda: self.run.rows(path, {"fields": fields, **params})

    # -- starting reads ahead ------------------------------------------------------------------------------

    def start_lists(self) -> None:
        """Start the pixel, catalog and partner lists of the business (they need nothing else)."""
        biz = f"/{self.business_id}"
        jobs = [("tenant", self._rows(f"{biz}/{edge}", PARTNER_FIELDS[kind]))
                for edge, (kind, _) in ASSET_LISTS.items()]
        jobs += [("tenant", self._rows(f"{biz}/{edge}", PARTNER_FIELDS[edge])) for edge in PARTNER_LISTS]
        self._lists = self.run.start(jobs)

    def start_holders(self, assets: Iterable[Asset]) -> None:
        """Start the holder reads of ``assets`` (pixel and catalog assigned users, the agencies of ad accounts,
        pixels and catalogs) not started yet."""
        users = {"business": self.business_id}
        for asset in assets:
            key = (asset.asset_id, asset.kind)
            if key in self._holders:
                continue
            scope = f"asset:{asset.asset_id}"
            node = act_id(asset.asset_id) if asset.kind == "ad_account" else asset.asset_id
            jobs: list[tuple[str, Callable[[], Any]]] = []
            edges: list[str] = []
            if asset.kind in ("pixel", "catalog"):
                jobs.append((scope, self._rows(f"/{node}/assigned_users", FIELDS["assigned_users"], **users)))
                edges.append("assigned_users")
            for edge in AGENCY_EDGES.get(asset.kind, ()):
                fields = PARTNER_FIELDS["asset_agencies" if asset.kind == "ad_account" else "agencies_of"]
                jobs.append((scope, self._rows(f"/{node}/{edge}", fields)))
                edges.append(edge)
            self._holders[key] = (self.run.start(jobs), edges)

    def start_listed_holders(self, assets: Iterable[Asset]) -> None:
        """Wait for the pixel and catalog lists (``start_lists``) and start the holder reads of the pixels and
        catalogs they add to ``assets`` (the business's own)."""
        if self._lists is None:
            return
        results = [pending.peek_or_none() for _, pending in self._lists]
        self.start_holders(self._listed_from(results, {a.asset_id for a in assets})[0])

    def start_pages(self, tokens: PageTokens, pages: Iterable[Asset]) -> None:
        """Start the reads of ``/{page}/roles`` and ``/{page}/agencies`` of ``pages`` with ``tokens`` (this
        fetch's ``page_access.page_tokens``, which ``read`` then uses too)."""
        self.tokens = tokens
        for page in pages:
            if page.asset_id not in self._pages:
                self._pages[page.asset_id] = self._page_plan(page)

    # -- reading -------------------------------------------------------------------------------------------

    def _listed_from(self, results: list[Any], have: set[str]) -> tuple[list[Asset], list[Account]]:
        """The pixels and catalogs of the list results not among ``have``, and the partners (kept once)."""
        if self._listed is None:
            assets: list[Asset] = []
            for (kind, owned), rows in zip(ASSET_LISTS.values(), results, strict=False):
                for item in rows or []:
                    if str(item["id"]) not in have:
                        have.add(str(item["id"]))
                        assets.append(asset_from(kind, item, owned))
            partners = [partner_account(item, relation)
                        for relation, rows in zip(PARTNER_LISTS.values(), results[len(ASSET_LISTS):], strict=True)
                        for item in rows or []]
            self._listed = (assets, partners)
        return self._listed

    def _assets_and_partners(self) -> None:
        if self._lists is None:
            self.start_lists()
        assert self._lists is not None
        results = _scoped(self.run, self.snap, self._lists)
        assets, partners = self._listed_from(results, {a.asset_id for a in self.snap.assets})
        self.snap.assets.extend(assets)
        for account in partners:
            self._add_account(account)

    def _asset_holders(self) -> None:
        """Pixel and catalog assigned users, and the agencies of ad accounts, pixels and catalogs."""
        self.start_holders(self.snap.assets)
        started: Started = []
        keys: list[tuple[Asset, str]] = []
        for asset in self.snap.assets:
            jobs, edges = self._holders[(asset.asset_id, asset.kind)]
            started += jobs
            keys += [(asset, edge) for edge in edges]
        for (asset, edge), rows in zip(keys, _scoped(self.run, self.snap, started), strict=True):
            self._holders_of(asset, edge, rows or [])

    def _holders_of(self, asset: Asset, edge: str, rows: list[dict]) -> None:
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

    def _page_plan(self, page: Asset) -> PagePlan:
        """One Page's reads started with its Page token, and what it cannot read (recorded by ``read``)."""
        unread: list[tuple[str, str]] = []
        held = self.tokens.tokens.get(page.asset_id)
        if held is None:
            why = (f"/me/accounts could not be read ({self.tokens.error})" if self.tokens.error
                   else "the auditor's principal has no task on it")
            return [("roles and agencies are", f"no Page token ({why})")], [], []
        edges = [("roles", PARTNER_FIELDS["roles"])]
        if self.tokens.manages(page.asset_id):
            edges.append(("agencies", PARTNER_FIELDS["asset_agencies"]))
        else:
            unread.append(("agencies are", "the auditor's principal lacks the MANAGE task"))
        client = self._clients.enter_context(self.page_client(held[0]))
        client.add_secret(held[0])
        page_run = self.run.sharing(client)
        scope = f"asset:{page.asset_id}"
        started = page_run.start(((scope, bind(page_run.rows, f"/{page.asset_id}/{edge}", {"fields": fields}))
                                  for edge, fields in edges), token_fatal=False)
        return unread, started, [edge for edge, _ in edges]

    def _read_pages(self) -> None:
        """``/{page}/roles`` and ``/{page}/agencies`` of every Page, each with that Page's token."""
        platform = self.run.platform
        try:
            started: Started = []
            keys: list[tuple[Asset, str]] = []
            for page in self._page_assets():
                plan = self._pages.get(page.asset_id) or self._page_plan(page)
                unread, jobs, edges = plan
                for what, why in unread:
                    self._unread(page, what, why)
                started += jobs
                keys += [(page, edge) for edge in edges]
            results = _scoped(self.run, self.snap, started, page_token=True)
        finally:
            self.close()
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
    with PartnerReader(run, business_id, snap, page_client, tokens, page_roles=page_roles) as reader:
        reader.read()
