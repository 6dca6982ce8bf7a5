"""Control catalogues: they cover every reference the shipped rules make, agree with the policy package's
titles, follow ISO/IEC 27001:2022 Annex A, SOC 2, CIS Controls v8 and NIST SP 800-53 r5 as published, and map
findings to controls."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.config import shipped_dir
from auditor.policy import KNOWN_CONTROLS, load_policies
from auditor.reporting.controls import control_appendix, load_catalogue, load_catalogues, unmapped_references
from auditor.reporting.errors import ReportError

REPORTS = shipped_dir("reports")


@pytest.fixture(scope="module")
def catalogues():
    return load_catalogues(REPORTS)


def test_three_frameworks_in_order(catalogues) -> None:
    assert [c.framework for c in catalogues] == ["iso27001", "soc2", "cis"]
    assert [c.name("pl") for c in catalogues][0] == "ISO/IEC 27001:2022 Załącznik A"


def test_every_shipped_rule_reference_is_catalogued(catalogues) -> None:
    rules = {p.id: p.compliance for p in load_policies(shipped_dir("policies"))}
    assert unmapped_references(catalogues, rules) == []
    catalogued = {c.key for cat in catalogues for c in cat.controls}
    used = {ref for refs in rules.values() for ref in refs if not ref.startswith("NIST")}
    assert used <= catalogued


def test_titles_agree_with_the_policy_package(catalogues) -> None:
    for catalogue in catalogues:
        for control in catalogue.controls:
            assert KNOWN_CONTROLS[control.key] == control.title("en"), control.key
            assert control.title("pl") != control.title("en"), control.key


def test_iso_annex_a_facts(catalogues) -> None:
    iso = {c.ref: c.title("en") for c in catalogues[0].controls}
    assert iso["A.5.18"] == "Access rights"
    assert iso["A.6.5"] == "Responsibilities after termination or change of employment"
    assert iso["A.8.2"] == "Privileged access rights"
    assert "A.8.1" not in iso  # 8.1 is "User endpoint devices" in the 2022 edition, not access control


def test_appendix_counts_open_findings_per_control(catalogues) -> None:
    rules = {"orphaned-access": ("ISO27001:2022 A.5.18", "CIS v8 6.2"), "missing-2fa": ("CIS v8 6.5",)}
    counts = {"orphaned-access": {"critical": 3}, "missing-2fa": {"high": 1, "medium": 2}}
    appendix = control_appendix(catalogues, rules, counts, "pl")
    by_key = {row["key"]: row for fw in appendix for row in fw["controls"]}
    assert by_key["ISO27001:2022 A.5.18"]["open"] == 3
    assert by_key["ISO27001:2022 A.5.18"]["rules"] == ["orphaned-access"]
    assert by_key["CIS v8 6.5"]["by_severity"] == {"high": 1, "medium": 2}
    assert by_key["CIS v8 6.5"]["title"] == "Wymóg MFA dla dostępu administracyjnego"
    assert by_key["SOC2 CC6.3"]["open"] == 0 and by_key["SOC2 CC6.3"]["rules"] == []


@pytest.mark.parametrize(("text", "message"), [
    ("framework: x\n", r"prefix: required text"),
    ("framework: x\nprefix: X\nname: {en: X}\ncontrols: []\n", r"controls: expected a non-empty list"),
    ("framework: x\nprefix: X\nname: {en: X}\ncontrols: [{ref: A, title: {en: a}}, {ref: A, title: {en: b}}]\n",
     r"controls\[1\]\.ref: duplicate 'A'"),
    ("framework: x\nprefix: X\nname: {pl: X}\ncontrols: [{ref: A, title: {en: a}}]\n", r"name: expected"),
])
def test_malformed_catalogue_names_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReportError, match=rf"bad\.yaml: {message}"):
        load_catalogue(path)
