"""Reading CSV and JSON exports: header aliases, delimiters, line numbers of every problem, the SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from auditor.connectors.file_import.reader import ExportError, read_export


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, **kwargs) -> list[str]:
    with pytest.raises(ExportError) as info:
        read_export(path, **kwargs)
    assert str(info.value).startswith(f"{path}: ")
    return [str(p) for p in info.value.problems]


def test_csv_header_aliases_and_records_with_lines(tmp_path):
    path = write(tmp_path, "a.csv", "Platform,Tenant,Account ID,E-mail,2FA,Last Login,Status,Role\n"
                                    "x,t1,@ann,ann@shop.example,yes,2024-01-02,active,ANALYST\n"
                                    "\n"
                                    'x,t1,@bob,bob@shop.example,no,,active,"AD_MANAGER"\n')
    export = read_export(path)
    assert export.columns == ("platform", "tenant", "account_id", "email", "two_factor", "last_activity", "state",
                              "role")
    assert [line for line, _ in export.records] == [2, 4]
    assert export.records[1][1]["role"] == "AD_MANAGER" and export.format == "csv"
    assert export.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() and export.size == path.stat().st_size


def test_csv_semicolons_bom_and_multi_line_quotes(tmp_path):
    text = "\ufeffaccount_id;name;role\n@a;\"Ann\nSmith\";Owner\n@b;Bob;Viewer\n"
    export = read_export(write(tmp_path, "b.csv", text.encode("utf-8")))
    assert export.columns == ("account_id", "name", "role")
    assert [(line, r["account_id"]) for line, r in export.records] == [(2, "@a"), (4, "@b")]
    assert export.records[0][1]["name"] == "Ann\nSmith"


def test_csv_every_bad_line_is_reported(tmp_path):
    path = write(tmp_path, "c.csv", "account_id,role\n@a,Owner\n@b\n@c,Viewer,extra\n@d,Viewer\n")
    assert problems(path) == ["line 3: expected 2 values, found 1", "line 4: expected 2 values, found 3"]


@pytest.mark.parametrize(("text", "expected"), [
    ("account_id,role,2fa_enabled\n", "line 1: unknown column '2fa_enabled'"),
    ("account_id,role,MFA,2FA\n", "line 1: column '2FA' repeats 'MFA'"),
    ("", "empty export: no header line"),
    ('account_id,role\n@a,"Owner\n', "line 2: not valid CSV: unexpected end of data"),
])
def test_csv_header_and_syntax_problems(tmp_path, text, expected):
    assert problems(write(tmp_path, "d.csv", text))[0].startswith(expected)


def test_not_utf8_names_the_line(tmp_path):
    path = write(tmp_path, "e.csv", b"account_id,role\n@a,Owner\n@b,W\xf3j\n")
    assert problems(path) == ["line 3: not UTF-8 text (save the export as UTF-8)"]


def test_missing_too_big_and_unknown_format(tmp_path):
    assert problems(tmp_path / "gone.csv") == ["export file not found"]
    big = write(tmp_path, "big.csv", "account_id,role\n" + "@a,Owner\n" * 10)
    assert "more than the 20 allowed" in problems(big, max_bytes=20)[0]
    assert "must be .csv or .json" in problems(write(tmp_path, "f.xlsx", "x"))[0]


def test_json_records_with_the_line_of_each_object(tmp_path):
    text = ('[\n  {"account_id": "a@shop.example", "role": "Owner", "2FA": true},\n'
            '  {"account_id": 42,\n   "role": "Viewer", "email": null}\n]\n')
    export = read_export(write(tmp_path, "g.json", text))
    assert export.columns == ("account_id", "email", "role", "two_factor")  # in documentation order
    assert [(line, r["account_id"]) for line, r in export.records] == [(2, "a@shop.example"), (3, "42")]
    assert export.records[0][1]["two_factor"] is True and export.records[1][1]["email"] == ""


def test_json_problems_with_lines(tmp_path):
    text = ('[\n {"account_id": "a", "role": "Owner"},\n "just text",\n {"account_id": "b", "rolle": "x"},\n'
            ' {"account_id": "c", "role": {"nested": 1}},\n {"account_id": "d", "role": "x", "Role": "y"}\n]')
    assert problems(write(tmp_path, "h.json", text)) == [
        "line 3: expected an object (one account's row)",
        "line 4: unknown key 'rolle' (known: platform, tenant, account_id, email, name, role, asset, two_factor, "
        "last_activity, state, privileged)",
        "line 5: role: expected text, a number, true/false or null",
        "line 6: role: key 'Role' repeats a key of the same object",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ('{"account_id": "a"}', "line 1: expected a JSON array of objects"),
    ('[\n {"account_id": "a", "role": "x"},\n {"account_id": }\n]', "line 3: not valid JSON"),
    ('[\n {"account_id": "a", "role": "x"}\n {"account_id": "b"}]', "line 3: not valid JSON: expected ',' or ']'"),
    ('[{"account_id": "a", "role": "x"}] trailing', "line 1: not valid JSON: the array does not end cleanly"),
    ('[{"account_id": "a", "role": "x"}', "line 1: not valid JSON: the array does not end cleanly"),
])
def test_json_syntax_problems(tmp_path, text, expected):
    assert problems(write(tmp_path, "i.json", text))[0].startswith(expected)


def test_at_most_twenty_problems_are_spelled_out(tmp_path):
    path = write(tmp_path, "j.csv", "account_id,role\n" + "@a\n" * 25)
    with pytest.raises(ExportError) as info:
        read_export(path)
    assert len(info.value.problems) == 25 and str(info.value).endswith("; and 5 more problem(s)")


@pytest.mark.parametrize("depth", [3, 5_000, 200_000])
def test_json_nested_deeply_is_one_problem_not_a_traceback(tmp_path, depth):
    path = tmp_path / "export.json"
    path.write_text('[{"email": ' + "[" * depth + "]" * depth + "}]", encoding="utf-8")
    with pytest.raises(ExportError, match="nested|expected text") as caught:
        read_export(path)
    assert len(str(caught.value).splitlines()) == 1


@pytest.mark.parametrize("suffix", ["csv", "json"])
def test_more_rows_than_allowed_names_file_line_and_limit(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"users.{suffix}"
    if suffix == "csv":
        path.write_text("account_id,role\n" + "".join(f"u{i},ADMIN\n" for i in range(5)), encoding="utf-8")
        line = 5
    else:
        path.write_text("[\n" + ",\n".join(f'{{"account_id": "u{i}"}}' for i in range(5)) + "\n]\n", encoding="utf-8")
        line = 5
    with pytest.raises(ExportError) as caught:
        read_export(path, max_rows=3)
    assert str(caught.value) == f"{path}: line {line}: more than 3 rows (options.max_rows)"
    assert len(read_export(path, max_rows=5).records) == 5
