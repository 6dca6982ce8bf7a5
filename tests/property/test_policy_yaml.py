"""Policy YAML: any rule file compiles or gives one PolicyError naming the file (and field), never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.config import shipped_dir
from auditor.errors import PolicyError
from auditor.policy.loader import load_policy_file
from tests.property.strategies import EXAMPLES, JSON, TEXT, mutated

SHIPPED = sorted(shipped_dir("policies").glob("*.yaml"))
RULES = {path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in SHIPPED}


def _load(name: str, text: str | bytes) -> None:
    path = Path(tempfile.mkdtemp(prefix="prop-policy-")) / f"{name}.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    try:
        load_policy_file(path)
    except PolicyError as exc:
        message = str(exc)
        assert str(path) in message and "Traceback" not in message, message


@settings(**EXAMPLES)
@given(st.sampled_from(sorted(RULES)).flatmap(lambda name: st.tuples(st.just(name), mutated(RULES[name]))))
def test_a_mutated_shipped_rule_compiles_or_names_the_file(case):
    name, rule = case
    _load(name, yaml.safe_dump(rule, allow_unicode=True))


@settings(**EXAMPLES)
@given(st.one_of(JSON.map(lambda v: yaml.safe_dump(v, allow_unicode=True)), TEXT, st.binary(max_size=200),
                 st.text(alphabet="-:{}[]&*!|>'\"% \nabc", max_size=80)))
def test_any_yaml_compiles_or_names_the_file(text):
    _load("any-rule", text)
