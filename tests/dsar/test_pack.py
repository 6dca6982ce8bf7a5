"""The answer pack: the PDF letter's text (pypdf), the JSON export validated against the shipped schema
(jsonschema), one CSV per category, SHA256SUMS, and the pack's SHA-256 recorded in the register."""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import re
from pathlib import Path

import jsonschema
import pytest
from pypdf import PdfReader

from auditor.dsar import pack as packing
from auditor.dsar import use_cases as service
from auditor.dsar.errors import PackError
from auditor.dsar.model import CATEGORY_COLUMNS
from tests.dsar import fixtures
from tests.dsar.conftest import NOW, Shop

SCHEMA = json.loads(packing.SCHEMA_PATH.read_text(encoding="utf-8"))


def pdf_text(path: Path) -> str:
    """The letter's text, whitespace collapsed (the layout's zero-width break points removed)."""
    text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return re.sub(r"\s+", " ", text.replace("\u200b", ""))


def open_and_pack(shop: Shop, out: Path, *, name: str, emails: list[str], language: str | None = None,
                  settings=None) -> tuple[dict, packing.Pack, list[Path]]:
    settings = settings or shop.settings
    detail = service.open_request(settings, name=name, emails=emails, received=NOW.date(), actor="officer", now=NOW)
    built, paths = service.write_answer_pack(settings, detail["id"], out, actor="officer", language=language,
                                             now=NOW)
    return detail, built, paths


def test_pack_of_an_employee_who_is_also_a_customer(shop: Shop, tmp_path: Path) -> None:
    out = tmp_path / "pack"
    detail, built, paths = open_and_pack(shop, out, name="Michał Woźniak",
                                         emails=[fixtures.MICHAL_WORK, fixtures.MICHAL_PRIVATE])
    names = sorted(p.name for p in paths)
    prefix = f"dsar-{detail['id']}"
    assert names == sorted([f"{prefix}-letter.pdf", f"{prefix}-export.json", "SHA256SUMS",
                            *(f"{prefix}-{c}.csv" for c in ("identity", "platform_accounts", "access_rights",
                                                            "findings", "activity_log"))])

    export = json.loads((out / f"{prefix}-export.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(export)
    assert export["holds_data"] is True and export["reference"] == f"DSAR-{detail['id']}"
    assert {a["platform"] for a in export["data"]["platform_accounts"]} == {
        "Kwiatek on Meta", fixtures.SHOP, fixtures.TIKTOK}
    assert [c["category"] for c in export["article_15"]["categories"]] == [
        "identity", "platform_accounts", "access_rights", "findings", "activity_log"]
    assert all(export["article_15"][item] for item in ("purposes", "recipients", "retention", "rights",
                                                       "complaint_authority", "source", "automated_decisions"))
    assert {r["category"] for r in export["redactions"]} >= {"activity_log", "findings", "access_rights"}

    text = pdf_text(out / f"{prefix}-letter.pdf")
    export_sha = hashlib.sha256((out / f"{prefix}-export.json").read_bytes()).hexdigest()
    for expected in ("Your request for access to personal data", f"Reference: DSAR-{detail['id']}",
                     "We confirm that we process personal data about you", "(a) Purposes of the processing",
                     "(h) Automated decision-making", "(f) Right to lodge a complaint",
                     f"{fixtures.TIKTOK} (asked live)", "Kwiatek on Meta (asked live)", "michal.kwiatek",
                     "refund_issued", "[withheld]", f"export SHA-256 {export_sha}",
                     "Other holders of the same asset are counted, not named"):
        assert expected in text, expected
    for other in (fixtures.CARE_AGENT_NAME, "karolina.social", "Anna Nowak", "anna.nowak@poczta.example"):
        assert other not in text

    rights = list(csv.DictReader(io.StringIO((out / f"{prefix}-access_rights.csv").read_text(encoding="utf-8-sig"))))
    assert list(rights[0]) == list(CATEGORY_COLUMNS["access_rights"])
    tiktok = [r for r in rights if r["platform"] == fixtures.TIKTOK and r["source"] == "auditor"]
    assert tiktok[0]["granted_by"] == "[redacted]" and tiktok[0]["other_holders_withheld"] == "2"

    assert packing.verify_pack(out) == built.sha256
    stored = service.show_request(shop.settings, detail["id"], now=NOW)
    assert stored["pack_sha256"] == built.sha256 and stored["status"] == "in_progress"
    assert stored["packs"][0]["files"][f"{prefix}-letter.pdf"] == hashlib.sha256(
        (out / f"{prefix}-letter.pdf").read_bytes()).hexdigest()
    collected = next(h for h in stored["history"] if h["kind"] == "collected")
    assert collected["detail"]["sources"][f"platform:{fixtures.TIKTOK}"] == "found"


def test_a_person_the_shop_does_not_know_gets_a_we_hold_no_data_answer(shop: Shop, tmp_path: Path) -> None:
    out = tmp_path / "pack"
    detail, built, paths = open_and_pack(shop, out, name="Jan Nieznany", emails=["jan.nieznany@example.org"])
    prefix = f"dsar-{detail['id']}"
    assert sorted(p.name for p in paths) == sorted([f"{prefix}-letter.pdf", f"{prefix}-export.json", "SHA256SUMS"])
    export = built.export
    jsonschema.Draft202012Validator(SCHEMA).validate(export)
    assert export["holds_data"] is False and export["article_15"]["categories"] == []
    assert all(rows == [] for rows in export["data"].values())
    assert {s["status"] for s in export["sources"]} <= {"nothing_found", "could_not_search", "not_available"}
    text = pdf_text(out / f"{prefix}-letter.pdf")
    assert "we hold no personal data about you, apart from this request itself" in text
    assert "None: we hold no personal data about you." in text
    assert "searched, nothing found" in text and "4. Copy of your data" not in text
    assert service.show_request(shop.settings, detail["id"], now=NOW)["packs"][0]["holds_data"] is False


def test_polish_letter_and_the_company_template_from_config(shop: Shop, tmp_path: Path) -> None:
    dsar = shop.settings.dsar.model_copy(update={
        "controller_name": "Kwiatek Sklep sp. z o.o.", "controller_address": "ul. Kwiatowa 1, 60-001 Poznań",
        "contact_email": "rodo@kwiatek.example",
        "purposes": {"en": "Securing our shop accounts.", "pl": "Zabezpieczenie kont naszego sklepu."},
        "recipients": "Dział IT spółki.",
    })
    settings = shop.settings.model_copy(update={"dsar": dsar})
    out = tmp_path / "pl"
    detail, built, _ = open_and_pack(shop, out, name="Michał Woźniak", emails=[fixtures.MICHAL_PRIVATE],
                                     language="pl", settings=settings)
    text = pdf_text(out / f"dsar-{detail['id']}-letter.pdf")
    for expected in ("Odpowiedź na żądanie dostępu do danych osobowych", "Kwiatek Sklep sp. z o.o.",
                     "rodo@kwiatek.example", "Zabezpieczenie kont naszego sklepu.", "Dział IT spółki.",
                     "Prezesa Urzędu Ochrony Danych Osobowych", "a) Cele przetwarzania", "Konta na platformach",
                     "[pominięto]", "strona 1 z"):
        assert expected in text, expected
    assert "Securing our shop accounts." not in text
    assert built.export["language"] == "pl" and built.export["controller"]["name"] == "Kwiatek Sklep sp. z o.o."


def test_the_schema_refuses_a_malformed_export(shop: Shop, tmp_path: Path) -> None:
    _, built, _ = open_and_pack(shop, tmp_path / "p", name="Michał Woźniak", emails=[fixtures.MICHAL_PRIVATE])
    broken = copy.deepcopy(built.export)
    del broken["data"]["platform_accounts"][0]["account_id"]
    with pytest.raises(PackError, match="data/platform_accounts/0"):
        packing.validate_export(broken)
    broken = copy.deepcopy(built.export)
    broken["sources"][0]["status"] = "maybe"
    with pytest.raises(PackError, match="sources/0/status"):
        packing.validate_export(broken)


def test_a_tampered_pack_fails_verification(shop: Shop, tmp_path: Path) -> None:
    out = tmp_path / "p"
    detail, _, _ = open_and_pack(shop, out, name="Jan Nieznany", emails=["jan@example.org"])
    export = out / f"dsar-{detail['id']}-export.json"
    export.write_text(export.read_text(encoding="utf-8").replace("Jan Nieznany", "Jan Znany"), encoding="utf-8")
    with pytest.raises(PackError, match="does not match SHA256SUMS"):
        packing.verify_pack(out)


def test_csv_cells_cannot_run_as_spreadsheet_formulas() -> None:
    rows = [{"source": "platform:X", "platform": "X", "tenant": "=cmd|' /C calc'!A0",
             "account_id": "=HYPERLINK(\"http://x\")", "kind": "user", "name": "@SUM(A1)", "emails": ["a@b.example"],
             "two_factor": False, "last_activity": None, "state": "-42", "role": "+admin"}]
    text = packing.category_csv("platform_accounts", rows).decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(text)))
    assert (row["account_id"], row["name"], row["role"]) == ("'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "'+admin")
    assert row["tenant"] == "'=cmd|' /C calc'!A0"
    assert (row["state"], row["two_factor"], row["emails"], row["gone_at"]) == ("-42", "false", '["a@b.example"]', "")


def test_schema_lists_exactly_the_columns_of_every_category() -> None:
    for category, columns in CATEGORY_COLUMNS.items():
        definition = SCHEMA["$defs"][category]
        assert definition["required"] == list(columns)
        assert list(definition["properties"]) == list(columns)
    assert SCHEMA["properties"]["data"]["required"] == list(CATEGORY_COLUMNS)
