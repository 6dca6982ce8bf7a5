"""Every platform's contract is complete data, and every constraint in it is proved by a test.

A constraint is proved by a test that names it: ``@pytest.mark.constraint("<kind>", "<constraint id>")`` on a
test that makes the emulator refuse (or answer) what the real API does. A constraint the emulator cannot enforce
says so in its contract with ``emulated: false`` and a ``why``; nothing else may stay unproved.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor.connectors.base import connector_kinds
from auditor.connectors.contract import STATUSES, load_contract, render_markdown

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
CONTRACT_KINDS = sorted(k for k in connector_kinds()
                        if (ROOT / "auditor" / "connectors" / k / "contract.yaml").exists())
MARK = re.compile(r"""constraint\(\s*["'](\w+)["']\s*,\s*["']([\w.-]+)["']\s*\)""")


def proved_constraints() -> set[tuple[str, str]]:
    """(kind, constraint id) pairs named by a ``constraint`` mark anywhere under tests/."""
    found: set[tuple[str, str]] = set()
    for path in TESTS.rglob("test_*.py"):
        found.update(MARK.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_api_connector_has_a_contract() -> None:
    assert {"meta", "linkedin", "tiktok", "x", "pinterest", "google_ads"} <= set(CONTRACT_KINDS)


@pytest.mark.parametrize("kind", CONTRACT_KINDS)
def test_contract_facts_are_cited(kind: str) -> None:
    contract = load_contract(kind)
    assert contract.endpoints, f"{kind}: a contract without endpoints"
    for endpoint in contract.endpoints.values():
        assert endpoint.source in contract.sources and endpoint.status in STATUSES
        for param in endpoint.params.values():
            assert param.source in contract.sources and param.status in STATUSES
    facts = [*contract.endpoints.values(), *(p for e in contract.endpoints.values() for p in e.params.values())]
    cited = [(f.source, f.status) for f in facts]
    cited += [(raw["source"], raw["status"]) for group in (contract.enums, contract.errors) for raw in group.values()]
    cited += [(c["source"], c["status"]) for c in contract.constraints]
    for source_id, source in contract.sources.items():
        if not (source.get("url") or source.get("commit")):
            confirmed = [s for s, status in cited if s == source_id and status == "confirmed"]
            assert not confirmed, f"{kind}: source {source_id} has neither url nor commit but confirms facts"


@pytest.mark.parametrize("kind", CONTRACT_KINDS)
def test_every_constraint_is_proved_by_a_test(kind: str) -> None:
    proved = proved_constraints()
    unproved = [c["id"] for c in load_contract(kind).constraints
                if c.get("emulated", True) and (kind, c["id"]) not in proved]
    assert not unproved, f"{kind}: constraints no test proves: {', '.join(unproved)}"


@pytest.mark.parametrize("kind", CONTRACT_KINDS)
def test_constraints_left_to_the_real_api_say_why(kind: str) -> None:
    for c in load_contract(kind).constraints:
        if c.get("emulated", True) is False:
            assert c.get("why"), f"{kind}: constraint {c['id']} is not emulated and does not say why"


@pytest.mark.parametrize("kind", CONTRACT_KINDS)
def test_the_contract_page_is_rendered_from_the_data(kind: str) -> None:
    page = ROOT / "docs" / "platforms" / f"{kind}.md"
    assert page.read_text(encoding="utf-8") == render_markdown(load_contract(kind)), (
        f"docs/platforms/{kind}.md is stale: run python -m auditor.connectors.contract {kind}"
    )
