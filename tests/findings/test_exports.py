"""OCSF and DefectDojo exports, validated against the schemas committed beside this file (their ``$comment``
names the source file and commit), and ``auditor findings --format ocsf|jsonl|defectdojo``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.findings.exports import to_defectdojo, to_ocsf, write_export
from auditor.services.queries import find_findings
from tests.findings.conftest import ROWS

HERE = Path(__file__).parent
OCSF = json.loads((HERE / "ocsf_1.7.0_detection_finding.schema.json").read_text(encoding="utf-8"))
DOJO = json.loads((HERE / "defectdojo_generic_findings.schema.json").read_text(encoding="utf-8"))


def _check(schema: dict, document: object) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)


@pytest.fixture
def rows(findings_settings):
    return find_findings(findings_settings, status="all")


def test_every_finding_is_a_valid_ocsf_detection_finding(rows):
    assert len(rows) == len(ROWS)
    for row in rows:
        event = to_ocsf(row)
        _check(OCSF, event)
        assert event["class_uid"] == 2004 and event["type_uid"] == 200400 + event["activity_id"]
        assert event["finding_info"]["uid"] == row["fingerprint"]
    by_fp = {row["fingerprint"]: to_ocsf(row) for row in rows}
    assert (by_fp["fp-orphan"]["severity_id"], by_fp["fp-orphan"]["status_id"], by_fp["fp-orphan"]["activity_id"]) \
        == (5, 1, 1)
    assert (by_fp["fp-old"]["status_id"], by_fp["fp-old"]["activity_id"]) == (4, 3)  # Resolved, Close
    assert (by_fp["fp-accepted"]["status_id"], by_fp["fp-accepted"]["severity_id"]) == (3, 1)  # Suppressed, Info
    assert by_fp["fp-orphan"]["finding_info"]["first_seen_time"] == 1741064767000


@pytest.mark.parametrize("broken", [
    {"class_uid": 2003}, {"severity_id": 7}, {"type_uid": 200404}, {"status_id": 9}, {"unknown_field": 1},
])
def test_the_ocsf_schema_refuses_what_ocsf_does_not_allow(rows, broken):
    event = {**to_ocsf(rows[0]), **broken}
    with pytest.raises(jsonschema.ValidationError):
        _check(OCSF, event)
    for required in ("finding_info", "metadata", "time"):
        event = to_ocsf(rows[0])
        del event[required]
        with pytest.raises(jsonschema.ValidationError):
            _check(OCSF, event)


def test_defectdojo_generic_import_document(rows):
    document = to_defectdojo(rows)
    _check(DOJO, document)
    items = {item["unique_id_from_tool"]: item for item in document["findings"]}
    assert set(items) == {row["fingerprint"] for row in ROWS}
    assert items["fp-orphan"]["severity"] == "Critical" and items["fp-orphan"]["active"] is True
    assert items["fp-orphan"]["date"] == "2025-03-04"
    assert items["fp-old"]["is_mitigated"] is True and items["fp-old"]["active"] is False
    assert items["fp-accepted"]["severity"] == "Info" and items["fp-accepted"]["risk_accepted"] is True
    assert "last_day" in items["fp-orphan"]["description"]


def test_the_defectdojo_schema_refuses_what_its_parser_refuses(rows):
    item = to_defectdojo(rows)["findings"][0]
    for broken in ({**item, "severity": "Severe"}, {**item, "fingerprint": "x"},
                   {k: v for k, v in item.items() if k != "description"}):
        with pytest.raises(jsonschema.ValidationError):
            _check(DOJO, {"findings": [broken]})


def test_json_lines_are_one_event_per_line(rows):
    out = io.StringIO()
    write_export(rows, "jsonl", out)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(rows)
    for line in lines:
        _check(OCSF, json.loads(line))


@pytest.mark.parametrize("fmt", ["ocsf", "jsonl", "defectdojo"])
def test_cli_findings_format(findings_settings, fmt):
    result = CliRunner().invoke(main, ["findings", "--config", findings_settings.source, "--status", "all",
                                       "--format", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "jsonl":
        events = [json.loads(line) for line in result.stdout.splitlines()]
    elif fmt == "ocsf":
        events = json.loads(result.stdout)
    else:
        document = json.loads(result.stdout)
        _check(DOJO, document)
        assert len(document["findings"]) == len(ROWS)
        return
    assert len(events) == len(ROWS)
    for event in events:
        _check(OCSF, event)


def test_cli_refuses_an_unknown_format(findings_settings):
    result = CliRunner().invoke(main, ["findings", "--config", findings_settings.source, "--format", "xml"])
    assert result.exit_code == 2 and "Invalid value for '--format'" in result.output
