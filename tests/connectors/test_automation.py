"""The maintained list of automation tools loads and recognises tools by name."""

from __future__ import annotations

import pytest

from auditor.connectors.automation import load_tools, parse_tools, recognise
from auditor.errors import ConfigError


def test_the_shipped_list_loads_and_names_the_common_tools():
    names = {tool.name for tool in load_tools()}
    assert {"Zapier", "Make", "Hootsuite", "Buffer", "IFTTT", "n8n", "Sprout Social"} <= names


@pytest.mark.parametrize(("text", "tool"), [
    ("Zapier – blog posts", "Zapier"), ("Make.com scenario", "Make"), ("Integromat orders", "Make"),
    ("hootsuite", "Hootsuite"), ("Kwiatek Access Audit", None), ("Makeup catalogue", None),
])
def test_names_are_recognised_case_insensitively(text, tool):
    assert recognise(text) == tool


def test_a_malformed_list_names_the_file_and_entry():
    with pytest.raises(ConfigError, match=r"tools\[0\]"):
        parse_tools({"tools": [{"name": "X"}]}, "automation-tools.yaml")
    with pytest.raises(ConfigError, match="bad pattern"):
        parse_tools({"tools": [{"name": "X", "patterns": ["("]}]}, "automation-tools.yaml")
