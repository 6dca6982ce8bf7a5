"""The one CSV writer (CLI, web export, DSAR pack): formula-like text is neutralised, numbers stay numbers."""

from __future__ import annotations

import csv
import io

from auditor.output import csv_cell, csv_chunks, write_csv

FORMULA = "=cmd|' /C calc'!A0"


def test_the_cli_writer_neutralises_spreadsheet_formulas() -> None:
    rows = [{"id": 1, "message": FORMULA, "person": None, "evidence": {"b": 2, "a": "x"}},
            {"id": 2, "message": "@SUM(A1)", "person": "+48 600", "evidence": ["-1"]}]
    out = io.StringIO()
    write_csv(rows, ("id", "message", "person", "evidence"), out)
    parsed = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert parsed[0] == {"id": "1", "message": "'" + FORMULA, "person": "", "evidence": '{"a": "x", "b": 2}'}
    assert (parsed[1]["message"], parsed[1]["person"], parsed[1]["evidence"]) == ("'@SUM(A1)", "'+48 600", '["-1"]')


def test_every_formula_start_is_guarded_and_numbers_are_not() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert csv_cell(start + "1+1") == "'" + start + "1+1"
    assert [csv_cell(v) for v in (-42, "-42", "-0.5", 3, True, False, None)] == [
        "-42", "-42", "-0.5", "3", "true", "false", ""]


def test_the_streamed_writer_gives_the_same_text_in_chunks() -> None:
    rows = [{"n": i, "text": FORMULA} for i in range(5)]
    out = io.StringIO()
    write_csv(rows, ("n", "text"), out)
    chunks = list(csv_chunks(iter(rows), ("n", "text"), chunk_rows=2))
    assert len(chunks) == 3 and "".join(chunks) == out.getvalue()
