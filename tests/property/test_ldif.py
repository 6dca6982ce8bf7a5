"""LDIF: any file gives people or one DirectoryError naming the file (and line), never a traceback."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.config import DirectorySettings
from auditor.directory.ldif import LdifDirectory
from auditor.errors import DirectoryError
from tests.property.strategies import EXAMPLES, TEXT

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
ATTRIBUTES = ["dn", "objectClass", "uid", "cn", "mail", "employeeType", "description", "member", "memberOf",
              "modifyTimestamp", "givenName", "sn", "changetype", "version", "member;range=0-1", "x"]
SEPARATORS = st.sampled_from([": ", ":: ", ":< ", ":", "::"])
LINE = st.one_of(
    st.tuples(st.sampled_from(ATTRIBUTES), SEPARATORS, TEXT).map("".join),
    st.tuples(st.sampled_from(["", " ", "#"]), TEXT).map("".join),  # blank, folded continuation, comment
    st.sampled_from(["objectClass: inetOrgPerson", "objectClass: groupOfNames", "dn: uid=a,ou=people,dc=x",
                     "uid: a", "mail: a@x.example", "description: 2026-02-30", "member: uid=a,ou=people,dc=x"]),
)
FILE = st.lists(LINE, max_size=25).map("\n".join)


def _people(data: bytes) -> list | DirectoryError:
    path = Path(tempfile.mkdtemp(prefix="prop-ldif-")) / "people.ldif"
    path.write_bytes(data)
    directory = LdifDirectory(path, DirectorySettings(kind="ldif", path=str(path), base_dn="dc=x"))
    try:
        return list(directory.people(NOW))
    except DirectoryError as exc:
        message = str(exc)
        assert str(path) in message and "\n" not in message.strip() and "Traceback" not in message, message
        return exc


@settings(**EXAMPLES)
@given(FILE)
def test_ldif_lines_give_people_or_name_the_file(text):
    _people(text.encode("utf-8", "surrogatepass"))


@settings(**EXAMPLES)
@given(st.binary(max_size=400))
def test_any_bytes_give_people_or_name_the_file(data):
    _people(data)
