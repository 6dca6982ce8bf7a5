"""Load rule files (one YAML file per rule, file name == id + ".yaml") and parameter overrides.

Every error is a PolicyError naming the file and the field path (or the line, for malformed YAML).
``exceptions.yaml`` in the same folder holds approved exceptions, not a rule, and is skipped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from auditor.errors import PolicyError
from auditor.policy.schema import Policy, compile_policy, parse_policy

RESERVED_FILES = frozenset({"exceptions.yaml", "automation-tools.yaml"})
"""Files in the policies folder that are not rules (approved exceptions; the known automation tools)."""


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that rejects duplicate mapping keys (PyYAML silently keeps the last one)."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        except TypeError:  # an unhashable key: construct_mapping reports it
            continue
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def read_yaml(path: Path, *, what: str = "file") -> tuple[bytes, Any]:
    """Read and parse a YAML file; PolicyError names the file (and the line when the YAML is malformed)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise PolicyError(f"{path}: {what} not found") from exc
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read {what}: {exc.strerror}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: not UTF-8 text") from exc
    try:
        return data, yaml.load(text, Loader=_StrictLoader)  # noqa: S506  # nosec B506: a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(f"{path}: {line}invalid YAML: {problem}") from exc


def content_hash(data: bytes, parameters: Mapping[str, Any]) -> str:
    """sha256 of the rule file's bytes and its effective parameters."""
    digest = hashlib.sha256(data)
    digest.update(b"\0parameters\0")
    digest.update(json.dumps(parameters, sort_keys=True, default=str).encode("utf-8"))
    return digest.hexdigest()


def load_policy_file(path: Path, overrides: Mapping[str, Any] | None = None,
                     overrides_source: Path | None = None) -> Policy:
    """Load, validate and compile one rule file with optional parameter overrides."""
    data, parsed = read_yaml(path, what="rule file")
    source = str(path)
    spec = parse_policy(parsed, source)
    if spec.id != path.stem:
        raise PolicyError(f"{source}: id: {spec.id!r} does not match the file name (expected {path.stem!r})")
    parameters = dict(spec.parameters)
    for name, value in (overrides or {}).items():
        where = f"{overrides_source}: {spec.id}.{name}"
        if name not in parameters:
            known = ", ".join(sorted(parameters)) or "none"
            raise PolicyError(f"{where}: unknown parameter (known: {known})")
        if not _same_kind(parameters[name], value):
            raise PolicyError(f"{where}: expected {_kind(parameters[name])} like the default, got {value!r}")
        parameters[name] = value
    try:
        return compile_policy(spec, parameters=parameters, path=path, source=source,
                              content_hash=content_hash(data, parameters))
    except PolicyError as exc:
        if overrides:
            raise PolicyError(f"{exc} (with parameters from {overrides_source})") from exc
        raise


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def _same_kind(default: Any, value: Any) -> bool:
    return _kind(default) == _kind(value)


def read_parameters_file(path: Path) -> dict[str, dict[str, Any]]:
    """A YAML mapping rule-id -> {parameter: value}; PolicyError names the file."""
    _, parsed = read_yaml(path, what="parameters file")
    if parsed is None:
        return {}
    if not isinstance(parsed, Mapping):
        raise PolicyError(f"{path}: expected a mapping of rule id -> parameters")
    result: dict[str, dict[str, Any]] = {}
    for rule, values in parsed.items():
        if not isinstance(values, Mapping):
            raise PolicyError(f"{path}: {rule}: expected a mapping of parameter -> value")
        result[str(rule)] = dict(values)
    return result


def load_policies(directory: Path, *, parameters_file: Path | None = None) -> list[Policy]:
    """Load every rule (``*.yaml``) in ``directory``, sorted by id, with ``parameters_file`` overrides."""
    directory = Path(directory)
    if not directory.is_dir():
        raise PolicyError(f"{directory}: policies folder not found")
    overrides = read_parameters_file(Path(parameters_file)) if parameters_file is not None else {}
    skip = {Path(parameters_file).resolve()} if parameters_file is not None else set()
    policies: list[Policy] = []
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.name in RESERVED_FILES or path.resolve() in skip:
            continue
        if path.suffix == ".yml":
            raise PolicyError(f"{path}: rule files end in .yaml (rename to {path.stem}.yaml)")
        if path.suffix != ".yaml":
            continue
        policies.append(load_policy_file(path, overrides.get(path.stem), parameters_file))
    known = {p.id for p in policies}
    for rule in overrides:
        if rule not in known:
            raise PolicyError(f"{parameters_file}: {rule}: unknown rule (no {rule}.yaml in {directory})")
    return sorted(policies, key=lambda p: p.id)
