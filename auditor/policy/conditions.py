"""The condition grammar (Cloud Custodian style), compiled once per rule into Kleene three-valued evaluators.

Grammar::

    condition := [condition, ...]                   # all of them
               | {all: [condition, ...]} | {any: [condition, ...]} | {not: condition}
               | {fact: <name>, <op>: <value>}
    value     := literal | {param: <name>} | {fact: <name>}

Operators: equals, not_equals, in, not_in, gt, gte, lt, lte, exists (bool), is_true, is_false (value
``true``), contains (list fact holds the value), excess_of (list fact minus the allowed list is non-empty).

A leaf on a fact that is None is *unknown* (None), except ``exists``, which is always known. ``all``/``any``/
``not`` follow Kleene logic: all is False if any part is False, else unknown if any part is unknown; any is
True if any part is True, else unknown if any part is unknown; not unknown is unknown. Every name, operator
and value type is checked when the rule is compiled, so evaluation never meets a typo.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from auditor.errors import PolicyError
from auditor.policy.facts import FactSpec, Subject, vocabulary

Tri = bool | None
Evaluator = Callable[[Subject], Tri]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "equals": operator.eq,
    "not_equals": operator.ne,
    "in": lambda value, allowed: value in allowed,
    "not_in": lambda value, allowed: value not in allowed,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "contains": lambda value, item: item in value,
    "excess_of": lambda value, allowed: bool(set(value) - set(allowed)),
}
OPERATORS: tuple[str, ...] = (*_COMPARE, "exists", "is_true", "is_false")
COMBINATORS = ("all", "any", "not")

_VALUE_FACT_TYPE = {"in": "list", "not_in": "list", "excess_of": "list", "contains": "str"}
"""Type a ``{fact: ...}`` value must have for these operators (others: the type of the compared fact)."""
_TYPE_NAMES = {"bool": "a boolean", "int": "a number", "str": "a string", "list": "a list"}
_PLACEHOLDER = re.compile(r"\{(fact|param)\.([A-Za-z0-9_.]+)\}")


def kleene_all(values: list[Tri]) -> Tri:
    """Three-valued AND."""
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def kleene_any(values: list[Tri]) -> Tri:
    """Three-valued OR."""
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def kleene_not(value: Tri) -> Tri:
    """Three-valued NOT."""
    return None if value is None else not value


def _matches(type_name: str, value: Any) -> bool:
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name == "int":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "str":
        return isinstance(value, str)
    return isinstance(value, list)


class Compiler:
    """Compiles the conditions and message of one rule; records the facts they read, in order."""

    def __init__(self, source: str, resource: str, params: Mapping[str, Any]):
        self.source = source
        self.resource = resource
        self.params = params
        self.vocabulary = vocabulary(resource)
        self.facts: dict[str, None] = {}

    def error(self, where: str, message: str) -> PolicyError:
        """A PolicyError naming the file and the field path."""
        return PolicyError(f"{self.source}: {where}: {message}")

    # -- facts and values -----------------------------------------------------------------------------------

    def fact(self, name: Any, where: str) -> tuple[FactSpec, Callable[[Subject], Any]]:
        """Resolve a fact name into its spec and a getter; unknown names are errors."""
        if not isinstance(name, str):
            raise self.error(where, "expected a fact name")
        spec = self.vocabulary.get(name)
        if spec is None:
            raise self.error(where, f"unknown fact {name!r} for resource {self.resource!r}")
        missing = [p for p in spec.params if p not in self.params]
        if missing:
            raise self.error(where, f"fact {name!r} needs parameter {missing[0]!r}")
        if spec.check is not None:
            problem = spec.check(self.params)
            if problem:
                raise self.error(where, f"fact {name!r}: parameter {problem}")
        self.facts.setdefault(name, None)
        if spec.derive is not None:
            derive, params = spec.derive, self.params
            return spec, lambda subject: derive(subject, params)
        namespace, key = spec.namespace, spec.key
        return spec, lambda subject: subject.facts.get(namespace, _EMPTY).get(key)

    def _value(self, raw: Any, where: str) -> tuple[Any, Callable[[Subject], Any] | None, FactSpec | None]:
        """(constant, getter, spec) of a value: a literal, ``{param: name}`` or ``{fact: name}``."""
        if isinstance(raw, Mapping):
            if set(raw) == {"param"}:
                name = raw["param"]
                if not isinstance(name, str) or name not in self.params:
                    raise self.error(f"{where}.param", f"unknown parameter {name!r}")
                return self.params[name], None, None
            if set(raw) == {"fact"}:
                spec, getter = self.fact(raw["fact"], f"{where}.fact")
                return None, getter, spec
            raise self.error(where, "a value is a literal, {param: name} or {fact: name}")
        return raw, None, None

    def _check_literal(self, spec: FactSpec, op: str, value: Any, where: str) -> None:
        what = f"for fact {spec.name!r} ({spec.type})"
        if op in ("in", "not_in"):
            if not isinstance(value, list):
                raise self.error(where, f"expected a list {what}, got {value!r}")
            for item in value:
                self._check_scalar(spec, item, where)
        elif op in ("equals", "not_equals"):
            self._check_scalar(spec, value, where)
        elif op in ("gt", "gte", "lt", "lte"):
            if not _matches("int", value):
                raise self.error(where, f"expected a number {what}, got {value!r}")
        elif op == "contains":
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise self.error(where, f"expected a string {what}, got {value!r}")
        elif op == "excess_of" and not isinstance(value, list):
            raise self.error(where, f"expected a list {what}, got {value!r}")

    def _check_scalar(self, spec: FactSpec, value: Any, where: str) -> None:
        if value is None:
            raise self.error(where, f"null is not a value of {spec.name!r} (use exists: false)")
        if not _matches(spec.type, value):
            expected = _TYPE_NAMES[spec.type]
            raise self.error(where, f"expected {expected} for fact {spec.name!r}, got {value!r}")
        if spec.choices and value not in spec.choices:
            choices = ", ".join(spec.choices)
            raise self.error(where, f"{value!r} is not a value of {spec.name!r} (one of {choices})")

    # -- conditions -----------------------------------------------------------------------------------------

    def condition(self, raw: Any, where: str) -> Evaluator:
        """Compile one condition (list, combinator or leaf) found at ``where``."""
        if isinstance(raw, list):
            if not raw:
                raise self.error(where, "empty condition list")
            return _all([self.condition(item, f"{where}[{i}]") for i, item in enumerate(raw)])
        if not isinstance(raw, Mapping):
            raise self.error(where, f"expected a condition (a list or a mapping), got {raw!r}")
        keys = set(raw)
        if len(keys) == 1 and keys <= set(COMBINATORS):
            (name,) = keys
            inner = raw[name]
            if name == "not":
                return _not(self.condition(inner, f"{where}.not"))
            if not isinstance(inner, list) or not inner:
                raise self.error(f"{where}.{name}", "expected a non-empty list of conditions")
            parts = [self.condition(item, f"{where}.{name}[{i}]") for i, item in enumerate(inner)]
            return _all(parts) if name == "all" else _any(parts)
        if "fact" not in raw:
            extra = sorted(str(k) for k in keys - set(COMBINATORS))
            hint = f"unknown key {extra[0]!r}" if extra else "combine all/any/not one per mapping"
            raise self.error(where, f"{hint} (expected fact + operator, or one of all, any, not)")
        ops = [k for k in raw if k != "fact"]
        if len(ops) != 1:
            raise self.error(where, "a leaf has exactly one operator besides 'fact'")
        op = ops[0]
        if op not in OPERATORS:
            raise self.error(f"{where}", f"unknown operator {op!r} (one of {', '.join(OPERATORS)})")
        return self._leaf(raw, op, where)

    def _leaf(self, raw: Mapping[str, Any], op: str, where: str) -> Evaluator:
        spec, get = self.fact(raw["fact"], f"{where}.fact")
        value, other, other_spec = self._value(raw[op], f"{where}.{op}")
        if op == "exists":
            if other is not None or not isinstance(value, bool):
                raise self.error(f"{where}.exists", "expected true or false")
            want = value
            return lambda subject: (get(subject) is not None) is want
        if op in ("is_true", "is_false"):
            if spec.type != "bool":
                raise self.error(f"{where}.{op}", f"fact {spec.name!r} is {spec.type}, not bool")
            if value is not True:
                raise self.error(f"{where}.{op}", "expected true")
            want = op == "is_true"
            return lambda subject: None if (v := get(subject)) is None else v is want
        if op in ("gt", "gte", "lt", "lte") and spec.type != "int":
            raise self.error(f"{where}.{op}", f"fact {spec.name!r} is {spec.type}, not a number")
        if op in ("contains", "excess_of") and spec.type != "list":
            raise self.error(f"{where}.{op}", f"fact {spec.name!r} is {spec.type}, not a list")
        if op in ("in", "not_in") and spec.type == "list":
            raise self.error(f"{where}.{op}", f"fact {spec.name!r} is a list (use contains or excess_of)")
        compare = _COMPARE[op]
        if other is not None:
            assert other_spec is not None
            expected = _VALUE_FACT_TYPE.get(op, spec.type)
            if other_spec.type != expected:
                raise self.error(f"{where}.{op}.fact", f"fact {other_spec.name!r} is {other_spec.type}, "
                                                       f"expected {expected}")
            return lambda subject: _compare_facts(compare, get(subject), other(subject))
        self._check_literal(spec, op, value, f"{where}.{op}")
        if op in ("in", "not_in"):
            value = frozenset(value) if all(isinstance(v, str | int) for v in value) else value
        return lambda subject: None if (v := get(subject)) is None else compare(v, value)

    # -- messages -------------------------------------------------------------------------------------------

    def message(self, template: str, where: str = "message") -> Callable[[Subject], str]:
        """Compile a message template with ``{fact.name}`` and ``{param.name}`` placeholders."""
        parts: list[str | Callable[[Subject], Any]] = []
        position = 0
        for match in _PLACEHOLDER.finditer(template):
            parts.append(template[position:match.start()])
            kind, name = match.groups()
            if kind == "param":
                if name not in self.params:
                    raise self.error(where, f"unknown parameter {name!r}")
                parts.append(format_value(self.params[name]))
            else:
                parts.append(self.fact(name, where)[1])
            position = match.end()
        parts.append(template[position:])

        def render(subject: Subject) -> str:
            return "".join(p if isinstance(p, str) else format_value(p(subject)) for p in parts)

        return render


_EMPTY: dict[str, Any] = {}


def _compare_facts(compare: Callable[[Any, Any], bool], value: Any, other: Any) -> Tri:
    if value is None or other is None:
        return None
    return compare(value, other)


def _all(parts: list[Evaluator]) -> Evaluator:
    if len(parts) == 1:
        return parts[0]

    def evaluate(subject: Subject) -> Tri:
        result: Tri = True
        for part in parts:
            value = part(subject)
            if value is False:
                return False
            if value is None:
                result = None
        return result

    return evaluate


def _any(parts: list[Evaluator]) -> Evaluator:
    def evaluate(subject: Subject) -> Tri:
        result: Tri = False
        for part in parts:
            value = part(subject)
            if value is True:
                return True
            if value is None:
                result = None
        return result

    return evaluate


def _not(part: Evaluator) -> Evaluator:
    return lambda subject: kleene_not(part(subject))


def format_value(value: Any) -> str:
    """A fact or parameter value as message text (None reads "unknown")."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value) if value else "none"
    if isinstance(value, Mapping):
        return " ".join(f"{k}={format_value(v)}" for k, v in value.items() if v is not None)
    return str(value)
