"""Real slapd servers for the directory tests: an OpenLDAP-shaped tree and an Active Directory-shaped tree.

Both are session-scoped (started once, about 0.3 s each). The OpenLDAP server also serves ldaps:// and
StartTLS with a certificate from a throwaway CA (``openldap_server.ca_file``), and limits its read-only
``cn=auditor`` account to 5 entries per plain search and 3 per page, so a search that does not page fails.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.directory.trees import AD_SUFFIX, AUDITOR_LIMITS, DATA, OPENLDAP_SUFFIX
from tests.support.slapd import SlapdHandle, start_slapd


@pytest.fixture(scope="session")
def openldap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdHandle]:
    """slapd with the OpenLDAP-shaped tree (data/openldap.ldif), TLS on, root DN bind credentials."""
    handle = start_slapd(
        tmp_path_factory.mktemp("slapd-openldap"),
        OPENLDAP_SUFFIX,
        (DATA / "openldap.ldif").read_text(encoding="utf-8"),
        tls=True,
        extra_schema=(DATA / "shop.schema").read_text(encoding="utf-8"),
        extra_config=AUDITOR_LIMITS,
    )
    yield handle
    handle.stop()


@pytest.fixture(scope="session")
def ad_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdHandle]:
    """slapd with msuser.schema and the AD-shaped tree (data/ad.ldif)."""
    handle = start_slapd(
        tmp_path_factory.mktemp("slapd-ad"),
        AD_SUFFIX,
        (DATA / "ad.ldif").read_text(encoding="utf-8"),
        ad_schema=True,
    )
    yield handle
    handle.stop()
