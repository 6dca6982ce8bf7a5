"""The condition grammar: Kleene three-valued logic, every operator, and value references."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.errors import PolicyError
from auditor.policy.conditions import Compiler, format_value, kleene_all, kleene_any, kleene_not
from auditor.policy.facts import Subject

T, F, U = True, False, None
VALUES = (T, F, U)

# Kleene's strong three-valued logic, written out (not computed) so the tables are checked, not copied.
AND = {(T, T): T, (T, F): F, (T, U): U, (F, T): F, (F, F): F, (F, U): F, (U, T): U, (U, F): F, (U, U): U}
OR = {(T, T): T, (T, F): T, (T, U): T, (F, T): T, (F, F): F, (F, U): U, (U, T): T, (U, F): U, (U, U): U}
NOT = {T: F, F: T, U: U}


def subject(**account: Any) -> Subject:
    return Subject("account:x", {"account": account, "person": {}, "tenant": {}})


def compile_(condition: Any, params: dict[str, Any] | None = None, resource: str = "account"):
    return Compiler("rule.yaml", resource, params or {}).condition(condition, "require")


def bool_leaf(fact: str) -> dict[str, Any]:
    return {"fact": f"account.{fact}", "is_true": True}


@pytest.mark.parametrize(("a", "b"), [(a, b) for a in VALUES for b in VALUES])
def test_and_or_truth_tables(a, b):
    facts = subject(two_factor=a, privileged=b)
    leaves = [bool_leaf("two_factor"), bool_leaf("privileged")]
    assert compile_({"all": leaves})(facts) is AND[a, b]
    assert compile_(leaves)(facts) is AND[a, b]  # a list means all
    assert compile_({"any": leaves})(facts) is OR[a, b]
    assert kleene_all([a, b]) is AND[a, b]
    assert kleene_any([a, b]) is OR[a, b]


@pytest.mark.parametrize("a", VALUES)
def test_not_truth_table(a):
    assert compile_({"not": bool_leaf("two_factor")})(subject(two_factor=a)) is NOT[a]
    assert kleene_not(a) is NOT[a]


def test_false_short_circuits_an_unknown_in_all_and_true_in_any():
    three = [bool_leaf("two_factor"), bool_leaf("privileged"), bool_leaf("admin_of_tenant")]
    assert compile_({"all": three})(subject(two_factor=None, privileged=True, admin_of_tenant=False)) is False
    assert compile_({"any": three})(subject(two_factor=None, privileged=False, admin_of_tenant=True)) is True
    assert compile_({"any": three})(subject(two_factor=None, privileged=False, admin_of_tenant=False)) is None


def test_nested_combinations():
    condition = {
        "any": [
            {"all": [bool_leaf("two_factor"), {"not": bool_leaf("privileged")}]},
            {"fact": "account.grant_count", "equals": 0},
        ]
    }
    check = compile_(condition)
    assert check(subject(two_factor=True, privileged=False, grant_count=5)) is True
    assert check(subject(two_factor=True, privileged=True, grant_count=5)) is False
    assert check(subject(two_factor=None, privileged=False, grant_count=5)) is None
    assert check(subject(two_factor=None, privileged=False, grant_count=0)) is True


LEAVES: list[tuple[str, Any, Any, bool]] = [
    # (fact, leaf operator + value, fact value, expected)
    ("kind", {"equals": "user"}, "user", True),
    ("kind", {"equals": "user"}, "app", False),
    ("kind", {"not_equals": "user"}, "app", True),
    ("kind", {"in": ["user", "system_user"]}, "system_user", True),
    ("kind", {"in": ["user", "system_user"]}, "app", False),
    ("kind", {"not_in": ["user"]}, "app", True),
    ("kind", {"not_in": ["user"]}, "user", False),
    ("grant_count", {"gt": 3}, 4, True),
    ("grant_count", {"gt": 3}, 3, False),
    ("grant_count", {"gte": 3}, 3, True),
    ("grant_count", {"lt": 3}, 3, False),
    ("grant_count", {"lte": 3}, 3, True),
    ("grant_count", {"lte": 3}, 4, False),
    ("grants", {"contains": "p1:MANAGE"}, ["p1:MANAGE", "p2:ANALYZE"], True),
    ("grants", {"contains": "p1:MANAGE"}, ["p2:ANALYZE"], False),
    ("grants", {"excess_of": ["a", "b"]}, ["a", "c"], True),
    ("grants", {"excess_of": ["a", "b"]}, ["b"], False),
    ("grants", {"excess_of": ["a"]}, [], False),
    ("grants", {"equals": []}, [], True),
    ("two_factor", {"is_true": True}, True, True),
    ("two_factor", {"is_true": True}, False, False),
    ("two_factor", {"is_false": True}, False, True),
    ("two_factor", {"is_false": True}, True, False),
    ("two_factor", {"exists": True}, False, True),
    ("two_factor", {"exists": False}, False, False),
]


@pytest.mark.parametrize(("fact", "op", "value", "expected"), LEAVES)
def test_operators(fact, op, value, expected):
    check = compile_({"fact": f"account.{fact}", **op})
    assert check(subject(**{fact: value})) is expected


@pytest.mark.parametrize(("fact", "op"), [(f, o) for f, o, _, _ in LEAVES if "exists" not in o])
def test_every_operator_but_exists_is_unknown_on_a_missing_fact(fact, op):
    check = compile_({"fact": f"account.{fact}", **op})
    assert check(subject(**{fact: None})) is None
    assert check(subject()) is None


def test_exists_is_always_known():
    assert compile_({"fact": "account.two_factor", "exists": True})(subject()) is False
    assert compile_({"fact": "account.two_factor", "exists": False})(subject()) is True


def test_parameter_values_are_resolved_at_compile_time():
    check = compile_({"fact": "account.grant_count", "gt": {"param": "limit"}}, {"limit": 2})
    assert check(subject(grant_count=3)) is True
    assert check(subject(grant_count=2)) is False
    with pytest.raises(PolicyError, match=r"rule.yaml: require.gt: expected a number"):
        compile_({"fact": "account.grant_count", "gt": {"param": "limit"}}, {"limit": "two"})


def test_fact_values_compare_two_facts_and_are_unknown_when_either_is():
    check = compile_({"fact": "account.grant_count", "gt": {"fact": "account.age_days"}})
    assert check(subject(grant_count=3, age_days=2)) is True
    assert check(subject(grant_count=1, age_days=2)) is False
    assert check(subject(grant_count=1)) is None
    with pytest.raises(PolicyError, match="require.gt.fact: fact 'account.kind' is str, expected int"):
        compile_({"fact": "account.grant_count", "gt": {"fact": "account.kind"}})


def test_derived_facts_read_the_rule_parameters():
    check = compile_({"fact": "account.dormant", "is_true": True}, {"days": 30})
    assert check(subject(days_since_activity=31)) is True
    assert check(subject(days_since_activity=30)) is True
    assert check(subject(days_since_activity=29)) is False
    assert check(subject(activity_window_days=30)) is True  # no activity in a 30-day log
    assert check(subject(activity_window_days=29)) is None  # a 29-day log cannot tell
    assert check(subject()) is None


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ([], "require: empty condition list"),
        ("yes", "require: expected a condition"),
        ({"all": bool_leaf("two_factor")}, "require.all: expected a non-empty list"),
        ({"fact": "account.grants", "in": ["a"]}, "require.in: fact 'account.grants' is a list"),
        (
            {"fact": "account.kind", "contains": "u"},
            "require.contains: fact 'account.kind' is str, not a list",
        ),
        (
            {"fact": "account.two_factor", "is_true": True, "is_false": True},
            "require: a leaf has exactly one",
        ),
        ({"fact": "account.two_factor", "exists": "yes"}, "require.exists: expected true or false"),
        ({"fact": "account.kind", "equals": {"value": 1}}, "require.equals: a value is a literal"),
        ({"not": {"fact": "account.kind", "equals": "robot"}}, "require.not.equals: 'robot' is not a value"),
        (
            {"any": [bool_leaf("two_factor"), {"fact": "x.y", "exists": True}]},
            "require.any[1].fact: unknown fact",
        ),
    ],
)
def test_compile_errors_name_the_path(condition, message):
    with pytest.raises(PolicyError) as caught:
        compile_(condition)
    assert str(caught.value).startswith(f"rule.yaml: {message}")


def test_messages_render_facts_and_parameters():
    compiler = Compiler("rule.yaml", "account", {"days": 90})
    render = compiler.message(
        "{fact.account.name}: {fact.account.grants} / {param.days} / {fact.account.email}"
    )
    assert (
        render(subject(name="Ann", grants=["p1:ADMIN", "p2:ANALYZE"]))
        == "Ann: p1:ADMIN, p2:ANALYZE / 90 / unknown"
    )
    assert list(compiler.facts) == ["account.name", "account.grants", "account.email"]


def test_format_value():
    assert format_value(None) == "unknown"
    assert format_value(True) == "yes" and format_value(False) == "no"
    assert format_value([]) == "none"
    assert format_value([1, "a"]) == "1, a"
    assert format_value({"time": "t", "asset": None}) == "time=t"
