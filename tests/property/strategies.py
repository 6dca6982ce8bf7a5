"""Hypothesis strategies the property tests share: JSON values, text with the characters parsers trip on, and a
random mutation of a JSON document (a key dropped, a value replaced or retyped, a list cut or emptied)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

EXAMPLES = {"max_examples": 50, "deadline": None}
"""Each property test's budget: the whole property suite stays well under a minute."""

TRICKY = st.sampled_from(["", " ", "\x00", "\ufeff", "é", "ł", "\u202e", "=", ":", "::", "<", "-", "#", "\\",
                          "\n", "\r\n", "\t", '"', "'", "[", "]", "{", "}", "null", "1e309", "-0", "9" * 30])
TEXT = st.one_of(st.text(max_size=40), TRICKY, st.text(alphabet="abc:=\n -#\t\"'[]{}", max_size=40))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=False), TEXT)
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(TEXT, inner, max_size=4)), max_leaves=12)


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    """``document`` with one random change somewhere in its tree."""
    doc = copy.deepcopy(document)
    holder: Any = None
    key: Any = None
    node = doc
    while isinstance(node, (dict, list)) and node and draw(st.booleans()):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        holder, key = node, draw(st.sampled_from(keys))
        node = node[key]
    operation = draw(st.sampled_from(["replace", "drop", "retype", "cut", "wrap"]))
    value = draw(JSON)
    if holder is None:  # the document itself
        return value if operation in ("replace", "retype") else [doc] if operation == "wrap" else {}
    if operation == "drop":
        del holder[key]
    elif operation == "replace":
        holder[key] = value
    elif operation == "retype":
        holder[key] = str(node) if not isinstance(node, str) else ([node] if draw(st.booleans()) else 7)
    elif operation == "cut":
        holder[key] = node[: len(node) // 2] if isinstance(node, (list, str)) else None
    else:
        holder[key] = [node] if not isinstance(node, list) else {"data": node}
    return doc
