"""Who holds which task on the business's Pages, read without a business token on ``/{page}/assigned_users``.

``GET /{page-id}/assigned_users`` answers only a Page token of a MANAGE holder with pages_manage_metadata
(contract constraint page_assigned_users_page_token_only; the refusal is code 190 *or* 210 and never means a
dead token). So: Page tokens come from ``/me/accounts`` (only Pages the auditor has a task on); a Page whose
own token reads its assignees is done; every other Page is read from the per-principal views
``/{business-user-id|system-user-id}/assigned_pages``, which take the business token.

``/me/accounts`` is read once per fetch (``page_tokens``); its answer is passed to ``read_pages`` and to
``partners`` (Page roles and agencies need the same Page tokens). A fetch starts these reads as soon as their
inputs are known (``start_page_tokens``, ``start_pages``) and consumes them later (``read_pages``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from auditor.connectors.http import ConnectorAuthError, HttpClient
from auditor.connectors.jobs import bind, collect
from auditor.connectors.meta import dialect
from auditor.connectors.meta.mapping import FIELDS
from auditor.connectors.meta.run import Pending, Run, Started
from auditor.errors import ConnectorError

PageRows = dict[str, list[dict]]
"""Page id -> its assignees (AssignedUser-shaped items: id, tasks, permitted_tasks, user_type?)."""


@dataclass(slots=True)
class PageTokens:
    """One ``/me/accounts`` read: Page id -> (Page token, the auditor's tasks on it); ``error`` says why the
    list could not be read (then ``tokens`` is empty and no Page's absence means "no task")."""

    tokens: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    error: str | None = None

    def manages(self, page: str) -> bool:
        """Whether the auditor's principal holds MANAGE on ``page`` (its Page token reads MANAGE-only edges)."""
        return page in self.tokens and "MANAGE" in self.tokens[page][1]


def start_page_tokens(run: Run) -> Pending:
    """Start the ``/me/accounts`` read on the pool (``page_tokens`` consumes it)."""
    fields = {"fields": "id,name,access_token,tasks"}
    return run.start([("/me/accounts", bind(run.rows, "/me/accounts", fields))], token_fatal=False)[0][1]


def page_tokens(run: Run, read: Pending | None = None) -> PageTokens:
    """The auditor's Page tokens from ``/me/accounts`` (contract me_accounts_only_tasked_pages); a failed
    read is kept as ``error``, never raised (each Page then falls back or fails on its own). ``read``: the read
    already started (``start_page_tokens``), whose notes are then left for its ``result``."""
    try:
        rows = read.peek() if read is not None else start_page_tokens(run).result()
    except ConnectorError as exc:
        return PageTokens(error=str(exc))
    out = PageTokens()
    for row in rows:
        token = row.get("access_token")
        if isinstance(token, str) and token:
            run.client.add_secret(token)
            out.tokens[str(row["id"])] = (token, [str(t) for t in row.get("tasks") or []])
    return out


def _assignees(client_for: Callable[[str], HttpClient], token: str, path: str, params: dict) -> list[dict]:
    """One Page's assignees read with its Page token; a refused Page token is that Page's problem only."""
    try:
        with client_for(token) as client:
            return [item for page in client.iter_pages(path, params, dialect.next_page)
                    for item in page if isinstance(item, dict) and item.get("id") not in (None, "")]
    except ConnectorAuthError as exc:
        raise ConnectorError(exc.platform, f"Page token refused on GET {path}") from None


def start_pages(run: Run, business_id: str, pages: list[str], client_for: Callable[[str], HttpClient],
                tokens: PageTokens) -> Started:
    """Start reading the assignees of each Page in ``pages`` that its own token can read (``tokens``: this
    fetch's ``page_tokens``); ``read_pages`` consumes them."""
    params = {"limit": run.page_size, "business": business_id, "fields": FIELDS["assigned_users"]}
    return run.start((p, bind(_assignees, client_for, tokens.tokens[p][0], f"/{p}/assigned_users", params))
                     for p in pages if tokens.manages(p))


def read_pages(run: Run, business_id: str, pages: list[str], principals: Iterable[str],
               client_for: Callable[[str], HttpClient], tokens: PageTokens,
               started: Started | None = None) -> tuple[PageRows, dict[str, str]]:
    """Assignees of every Page in ``pages`` (``tokens``: this fetch's ``page_tokens``; ``started``: the Page
    token reads already started by ``start_pages``), and the scopes (``account:<id>``, ``asset:<id>``) that
    could not be read with why."""
    if not pages:
        return {}, {}
    if started is None:
        started = start_pages(run, business_id, pages, client_for, tokens)
    refused: list[str] = []  # a refusal only sends the Page to the per-principal views
    found: PageRows = {}
    for (page, _), rows in zip(started, collect(started, refused), strict=True):
        if rows is not None:
            found[page] = rows
    rest = {p for p in pages if p not in found}
    if not rest:
        return found, {}
    people = list(dict.fromkeys(principals))
    view = {"fields": "id,tasks,permitted_tasks"}
    reasons: list[str] = []  # in job order; each becomes the reason of its account's scope
    results = collect(run.start((f"assigned_pages:{p}", bind(run.rows, f"/{p}/assigned_pages", view))
                                for p in people), reasons)
    failed: dict[str, str] = {}
    for person, rows in zip(people, results, strict=True):
        if rows is None:
            failed[f"account:{person}"] = reasons.pop(0)
            continue
        for item in rows:
            if str(item["id"]) in rest:
                found.setdefault(str(item["id"]), []).append({**item, "id": person})
    unread = len(failed)
    for page in (p for p in pages if p in rest):  # in the Pages' order (``rest`` is a set)
        found.setdefault(page, [])
        if unread:  # a principal's unread view leaves every Page read this way with unknown holders
            failed[f"asset:{page}"] = f"{run.platform}: the holders of page {page} are incomplete: " \
                                      f"{unread} person's view(s) of their Pages could not be read"
    return found, failed
