"""Loading rule files: every shipped rule validates; every kind of bad file is a PolicyError naming it."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml

from auditor.errors import PolicyError
from auditor.model import CATEGORIES, Capabilities
from auditor.policy.facts import FACTS, vocabulary
from auditor.policy.loader import RESERVED_FILES, load_policies, load_policy_file
from auditor.policy.schema import KNOWN_CONTROLS
from tests.policy.builders import POLICIES

GOOD = """\
id: {id}
title: A test rule
severity: medium
category: missing_2fa
resource: account
rationale: Because.
remediation: Fix it.
compliance: ["ISO27001:2022 A.8.5", "NIST 800-53 IA-2(1)"]
parameters:
  days: 90
scope:
  - fact: account.kind
    equals: user
require:
  - fact: account.two_factor
    is_true: true
message: "{{fact.account.name}} has no 2FA ({{param.days}})"
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def rule_text(rule_id: str = "test-rule", **replace: str) -> str:
    text = GOOD.format(id=rule_id)
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


# -- the shipped rules ---------------------------------------------------------------------------


def test_every_shipped_rule_loads_with_its_id_as_file_name():
    policies = load_policies(POLICIES)
    files = sorted(p.stem for p in POLICIES.glob("*.yaml") if p.name not in RESERVED_FILES)
    assert [p.id for p in policies] == files
    assert len(policies) >= 15
    for policy in policies:
        assert policy.path.name == f"{policy.id}.yaml"
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", policy.id)
        assert policy.category in CATEGORIES
        assert policy.title and policy.rationale and policy.remediation
        assert len(policy.content_hash) == 64


def test_shipped_rules_cite_only_the_controls_of_the_catalogue():
    for policy in load_policies(POLICIES):
        assert policy.compliance, policy.id
        unknown = [ref for ref in policy.compliance if ref not in KNOWN_CONTROLS]
        assert unknown == [], policy.id
        assert "ISO27001:2022 A.8.1" not in policy.compliance  # endpoint devices, not access control


def test_shipped_rules_read_only_facts_of_their_resource():
    for policy in load_policies(POLICIES):
        allowed = vocabulary(policy.resource)
        assert set(policy.facts) <= set(allowed), policy.id
        assert set(policy.require_facts) <= set(policy.facts)


def test_every_category_has_a_shipped_rule():
    categories = {p.category for p in load_policies(POLICIES)}
    assert categories == set(CATEGORIES)


def test_the_fact_vocabulary_is_well_formed():
    for name, spec in FACTS.items():
        assert name == spec.name and spec.type in ("bool", "int", "str", "list")
        assert spec.doc
        assert spec.capability in (
            None,
            "per_user_2fa",
            "tenant_2fa",
            "app_scopes",
            "audit_log",
            "account_emails",
            "invitation_dates",
        )
        # every capability a fact names is a flag of the model's Capabilities
        assert spec.capability is None or hasattr(Capabilities(), spec.capability)


# -- good files ---------------------------------------------------------------------------


def test_a_rule_file_compiles_with_its_parameters(tmp_path):
    write(tmp_path, "test-rule.yaml", rule_text())
    (policy,) = load_policies(tmp_path)
    assert policy.id == "test-rule"
    assert policy.parameters == {"days": 90}
    assert policy.facts == ("account.kind", "account.two_factor", "account.name")
    assert policy.require_facts == ("account.two_factor",)


def test_exceptions_file_and_other_files_are_not_rules(tmp_path):
    write(tmp_path, "test-rule.yaml", rule_text())
    write(tmp_path, "exceptions.yaml", "- rule: test-rule\n  subject: account:1\n")
    write(tmp_path, "README.md", "# rules\n")
    assert [p.id for p in load_policies(tmp_path)] == ["test-rule"]


def test_parameters_file_overrides_defaults_and_changes_the_hash(tmp_path):
    write(tmp_path, "test-rule.yaml", rule_text())
    (plain,) = load_policies(tmp_path)
    params = write(tmp_path.parent, "params.yaml", "test-rule:\n  days: 45\n")
    (tuned,) = load_policies(tmp_path, parameters_file=params)
    assert tuned.parameters == {"days": 45}
    assert tuned.content_hash != plain.content_hash
    (again,) = load_policies(tmp_path)
    assert again.content_hash == plain.content_hash


def test_parameters_file_inside_the_rules_folder_is_not_a_rule(tmp_path):
    write(tmp_path, "test-rule.yaml", rule_text())
    params = write(tmp_path, "parameters.yaml", "test-rule:\n  days: 45\n")
    (policy,) = load_policies(tmp_path, parameters_file=params)
    assert policy.parameters["days"] == 45


def test_the_hash_follows_the_file_bytes(tmp_path):
    write(tmp_path, "test-rule.yaml", rule_text())
    (before,) = load_policies(tmp_path)
    write(tmp_path, "test-rule.yaml", rule_text(**{"title: A test rule": "title: Another title"}))
    (after,) = load_policies(tmp_path)
    assert before.content_hash != after.content_hash


# -- bad files ---------------------------------------------------------------------------


def load_error(tmp_path: Path, text: str, name: str = "test-rule.yaml") -> str:
    write(tmp_path, name, text)
    with pytest.raises(PolicyError) as caught:
        load_policies(tmp_path)
    message = str(caught.value)
    assert str(tmp_path / name) in message
    return message.removeprefix(f"{tmp_path / name}: ")


def test_malformed_yaml_names_the_line(tmp_path):
    text = rule_text(**{"  - fact: account.two_factor\n": "  - fact: [account.two_factor\n"})
    message = load_error(tmp_path, text)
    assert re.match(r"line \d+: invalid YAML", message)
    line = int(message.split()[1].rstrip(":"))
    assert 15 <= line <= 18


def test_duplicate_keys_are_rejected_with_their_line(tmp_path):
    message = load_error(tmp_path, rule_text() + "severity: low\n")
    assert message.startswith("line 18: invalid YAML") and "duplicate key 'severity'" in message


def test_unknown_fact_names_the_field_path(tmp_path):
    text = rule_text(**{"fact: account.two_factor": "fact: account.twofa"})
    assert (
        load_error(tmp_path, text) == "require[0].fact: unknown fact 'account.twofa' for resource 'account'"
    )


def test_fact_of_another_resource_is_unknown(tmp_path):
    text = rule_text(**{"fact: account.two_factor\n    is_true: true": "fact: app.scopes\n    exists: true"})
    assert "require[0].fact: unknown fact 'app.scopes'" in load_error(tmp_path, text)


def test_unknown_operator(tmp_path):
    text = rule_text(**{"equals: user": "eq: user"})
    assert load_error(tmp_path, text).startswith("scope[0]: unknown operator 'eq'")


def test_wrong_category(tmp_path):
    text = rule_text(**{"category: missing_2fa": "category: missing_mfa"})
    assert load_error(tmp_path, text).startswith("category: unknown category 'missing_mfa'")


def test_file_name_must_match_the_id(tmp_path):
    message = load_error(tmp_path, rule_text("other-rule"))
    assert message == "id: 'other-rule' does not match the file name (expected 'test-rule')"


def test_extra_keys_are_forbidden(tmp_path):
    assert load_error(tmp_path, rule_text() + "owner: me\n") == "owner: unknown field"


def test_missing_required_field(tmp_path):
    text = rule_text(**{"remediation: Fix it.\n": ""})
    assert load_error(tmp_path, text).startswith("remediation: Field required")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "equals: user",
            "equals: sytem_user",
            "scope[0].equals: 'sytem_user' is not a value of 'account.kind'",
        ),
        ("equals: user", "equals: 3", "scope[0].equals: expected a string for fact 'account.kind'"),
        ("equals: user", "gt: 3", "scope[0].gt: fact 'account.kind' is str, not a number"),
        ("is_true: true", "is_true: false", "require[0].is_true: expected true"),
        ("equals: user", "in: user", "scope[0].in: expected a list"),
        ("equals: user", "equals: {param: dayz}", "scope[0].equals.param: unknown parameter 'dayz'"),
        ("equals: user", "equals: null", "scope[0].equals: null is not a value"),
        ("equals: user", "equals: user\n    exists: true", "scope[0]: a leaf has exactly one operator"),
        (
            "  - fact: account.kind\n    equals: user\n",
            "  - any: []\n",
            "scope[0].any: expected a non-empty list",
        ),
        ("  - fact: account.kind\n    equals: user\n", "  - nope: 1\n", "scope[0]: unknown key 'nope'"),
        ("severity: medium", "severity: urgent", "severity: Input should be"),
        ("resource: account", "resource: person", "resource: Input should be"),
        ("compliance: [", "compliance: [ISO 27001 5.18, ", "compliance: 'ISO 27001 5.18' is not a reference"),
        ("{{param.days}}", "{{param.weeks}}", "message: unknown parameter 'weeks'"),
        ("{{fact.account.name}}", "{{fact.account.nam}}", "message: unknown fact 'account.nam'"),
        (
            "  days: 90\n",
            "  days: 90\n  Bad-Name: 1\n",
            "parameters: parameter name 'Bad-Name' must be snake_case",
        ),
    ],
)
def test_bad_conditions_and_fields(tmp_path, old, new, expected):
    text = GOOD.format(id="test-rule").replace(
        old.replace("{{", "{").replace("}}", "}"), new.replace("{{", "{").replace("}}", "}")
    )
    assert text != GOOD.format(id="test-rule")
    assert load_error(tmp_path, text).startswith(expected)


def test_derived_fact_needs_its_parameter(tmp_path):
    text = rule_text(
        **{
            "fact: account.two_factor": "fact: account.dormant",
            "  days: 90\n": "  weeks: 3\n",
            "{param.days}": "{param.weeks}",
        }
    )
    assert load_error(tmp_path, text) == "require[0].fact: fact 'account.dormant' needs parameter 'days'"


def test_severity_when_condition_is_checked(tmp_path):
    text = (
        rule_text()
        + "severity_when:\n  - when: {fact: account.privileged, is_true: yes}\n    severity: loud\n"
    )
    assert load_error(tmp_path, text).startswith("severity_when[0].severity: Input should be")


def test_yml_suffix_is_refused(tmp_path):
    message = load_error(tmp_path, rule_text(), name="test-rule.yml")
    assert "rule files end in .yaml" in message


def test_missing_folder(tmp_path):
    with pytest.raises(PolicyError, match="policies folder not found"):
        load_policies(tmp_path / "nope")


def test_parameters_file_with_unknown_rule(tmp_path):
    write(tmp_path, "test-rule.yaml", rule_text())
    params = write(tmp_path.parent, "params.yaml", "test-rule:\n  days: 30\nmissing-3fa:\n  days: 1\n")
    with pytest.raises(PolicyError) as caught:
        load_policies(tmp_path, parameters_file=params)
    assert str(caught.value).startswith(f"{params}: missing-3fa: unknown rule")


def test_parameters_file_with_unknown_parameter(tmp_path):
    write(tmp_path, "test-rule.yaml", rule_text())
    params = write(tmp_path.parent, "params.yaml", "test-rule:\n  weeks: 30\n")
    with pytest.raises(PolicyError) as caught:
        load_policies(tmp_path, parameters_file=params)
    assert str(caught.value) == f"{params}: test-rule.weeks: unknown parameter (known: days)"


def test_parameters_file_with_a_value_of_the_wrong_type(tmp_path):
    write(tmp_path, "test-rule.yaml", rule_text())
    params = write(tmp_path.parent, "params.yaml", "test-rule:\n  days: ninety\n")
    with pytest.raises(PolicyError, match=r"params.yaml: test-rule.days: expected a number like the default"):
        load_policies(tmp_path, parameters_file=params)


def test_parameter_override_rejected_by_a_derived_fact_names_both_files(tmp_path):
    params = write(tmp_path, "params.yaml", "tenant-2fa-not-enforced:\n  required: all_required\n")
    with pytest.raises(PolicyError) as caught:
        load_policy_file(POLICIES / "tenant-2fa-not-enforced.yaml", {"required": "all_required"}, params)
    message = str(caught.value)
    assert "tenant-2fa-not-enforced.yaml: require[0].fact" in message
    assert "required: expected one of none, admins, all" in message
    assert message.endswith(f"(with parameters from {params})")


def test_malformed_parameters_file(tmp_path):
    write(tmp_path, "test-rule.yaml", rule_text())
    params = write(tmp_path.parent, "params.yaml", "test-rule: [1, 2\n")
    with pytest.raises(PolicyError, match=r"params.yaml: line \d+: invalid YAML"):
        load_policies(tmp_path, parameters_file=params)
    write(tmp_path.parent, "params.yaml", "- test-rule\n")
    with pytest.raises(PolicyError, match="expected a mapping of rule id"):
        load_policies(tmp_path, parameters_file=params)


def test_a_rule_that_is_not_a_mapping(tmp_path):
    assert load_error(tmp_path, "- just\n- a list\n") == "expected a mapping of rule fields"


def test_shipped_rules_survive_a_yaml_round_trip(tmp_path):
    for path in POLICIES.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        write(tmp_path, path.name, yaml.safe_dump(data, sort_keys=False))
    assert [p.id for p in load_policies(tmp_path)] == [p.id for p in load_policies(POLICIES)]


def test_texts_placeholders_are_checked_against_the_vocabulary(tmp_path):
    texts = 'texts:\n  pl:\n    title: "{fact.account.nazwa}"\n    message: "{fact.account.name}"\n'
    assert load_error(tmp_path, rule_text() + texts) == (
        "texts.pl.title: unknown fact 'account.nazwa' for resource 'account'")


def test_texts_are_kept_with_their_facts_in_the_evidence(tmp_path):
    texts = 'texts:\n  en:\n    title: "{fact.account.label} t"\n    message: "{fact.person.departure} m"\n'
    write(tmp_path, "test-rule.yaml", rule_text() + texts)
    (policy,) = load_policies(tmp_path)
    assert policy.texts["en"]["title"] == "{fact.account.label} t" and policy.texts["en"]["name"] == policy.title
    assert {"account.label", "person.departure"} <= set(policy.facts)
