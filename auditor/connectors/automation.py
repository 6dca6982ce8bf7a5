"""The maintained list of known automation tools (``policies/automation-tools.yaml``) and name recognition.

Automation tools (Zapier, Make, Hootsuite, ...) have no admin API of their own that an auditor reads; they show
up inside the platforms as app installations, application passwords or system users. A connector asks
``recognise(name)`` for such a principal's name and keeps the tool's display name in ``raw["automation_tool"]``
and in the account or app name, so findings say "Zapier connection" rather than an anonymous token. The list is
data (one YAML file beside the rules), loaded once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from auditor.config import shipped_dir
from auditor.errors import ConfigError

FILE_NAME = "automation-tools.yaml"


@dataclass(frozen=True, slots=True)
class AutomationTool:
    """One known tool: its display name and the compiled, case-insensitive name patterns."""

    name: str
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, text: str) -> bool:
        """Whether ``text`` (an app, password or account name) names this tool."""
        return any(p.search(text) for p in self.patterns)


def parse_tools(data: object, origin: str) -> tuple[AutomationTool, ...]:
    """The tools of the YAML data; ConfigError naming the file and entry when malformed."""
    items = data.get("tools") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ConfigError(f"{origin}: expected a mapping with a 'tools' list")
    tools = []
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        patterns = item.get("patterns") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name or not isinstance(patterns, list) or not patterns:
            raise ConfigError(f"{origin}: tools[{index}]: expected a name and a non-empty patterns list")
        try:
            compiled = tuple(re.compile(str(p), re.IGNORECASE) for p in patterns)
        except re.error as exc:
            raise ConfigError(f"{origin}: tools[{index}] ({name}): bad pattern: {exc}") from None
        tools.append(AutomationTool(name, compiled))
    return tuple(tools)


@cache
def load_tools(path: Path | None = None) -> tuple[AutomationTool, ...]:
    """The tools of ``path`` (default: the shipped ``policies/automation-tools.yaml``), loaded once per path."""
    path = path or shipped_dir("policies") / FILE_NAME
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the automation tool list: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    return parse_tools(data, str(path))


def recognise(*names: str | None, tools: tuple[AutomationTool, ...] | None = None) -> str | None:
    """The display name of the first known tool any of ``names`` names (None: no known tool)."""
    known = load_tools() if tools is None else tools
    for text in names:
        if text:
            for tool in known:
                if tool.matches(text):
                    return tool.name
    return None
