"""Config TOML: any file is a Settings or one ConfigError line naming the file, never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.config import Settings, load_settings
from auditor.demo.workspace import toml_table
from auditor.errors import ConfigError
from tests.property.strategies import EXAMPLES, SCALARS, TEXT

SECTIONS = ["storage", "directory", "matching", "policies", "sandbox", "web", "reports", "scheduler",
            "notifications", "offboarding", "dsar", "push", "ops", "oidc", "nonsense"]
KEYS = ["url", "kind", "path", "base_dn", "timeout", "page_size", "max_retries", "company_domains", "name",
        "token_env", "base_url", "options", "secret_key_env", "language", "port", "activity_days", "unknown_key"]
VALUES = st.one_of(SCALARS.filter(lambda v: v is not None), st.lists(st.one_of(st.integers(), TEXT), max_size=3),
                   st.dictionaries(st.sampled_from(KEYS), st.one_of(st.integers(), TEXT), max_size=3))
TABLE = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=5)
DOCUMENT = st.lists(st.tuples(st.sampled_from(SECTIONS + ["[platform]"]), TABLE), max_size=5)


def _load(text: str | bytes) -> tuple[Path, Settings | ConfigError]:
    folder = Path(tempfile.mkdtemp(prefix="prop-config-"))
    path = folder / "auditor.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    try:
        return path, load_settings(path, environ={})
    except ConfigError as exc:
        return path, exc


def _valid_outcome(path: Path, outcome: Settings | ConfigError) -> None:
    if isinstance(outcome, ConfigError):
        message = str(outcome)
        assert message.strip() and "\n" not in message.strip() and "Traceback" not in message
        assert str(path) in message or path.name in message, message
    else:
        assert isinstance(outcome, Settings)


@settings(**EXAMPLES)
@given(DOCUMENT)
def test_a_structured_config_loads_or_names_the_file_and_key(tables):
    text = "".join(toml_table(f"[{name}]" if not name.startswith("[") else f"[{name}]", values)
                   for name, values in tables)
    _valid_outcome(*_load(text))


@settings(**EXAMPLES)
@given(st.one_of(st.binary(max_size=300), TEXT, st.text(alphabet="[]=\"'.# \nabc123{},", max_size=120)))
def test_any_bytes_load_or_name_the_file(raw):
    _valid_outcome(*_load(raw))
