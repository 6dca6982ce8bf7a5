"""Matching reads the web UI's links and markings beside the configuration's; the configuration wins."""

from __future__ import annotations

import logging

import pytest

from auditor.config import ManualLink, MatchingSettings, ServiceAccount
from auditor.errors import ConfigError
from auditor.matching import link_accounts
from tests.test_matching import PEOPLE, acc, snap

YAML = MatchingSettings(
    company_domains=["corp.example"],
    links=[ManualLink(platform="shop-meta", account_id="7", uid="ann")],
    service_accounts=[ServiceAccount(platform="meta", account_id="9", owner="ann")],
)


def _links(*accounts, **kw):
    return link_accounts([snap(*accounts)], PEOPLE, YAML, **kw)


def test_a_ui_link_applies_where_the_configuration_has_none():
    links = _links(acc("8", "someone@agency.example"),
                   manual_links=[ManualLink(platform="shop-meta", account_id="8", uid="bob")])
    assert (links[("shop-meta", "8")].uid, links[("shop-meta", "8")].method) == ("bob", "manual")


def test_the_configured_link_wins_over_a_conflicting_ui_link(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING, logger="auditor.matching"):
        links = _links(acc("7"), manual_links=[ManualLink(platform="shop-meta", account_id="7", uid="bob")])
    assert links[("shop-meta", "7")].uid == "ann"
    assert "the UI link to 'bob' is ignored" in caplog.text


def test_conflicting_configured_links_still_fail_with_a_plain_message():
    settings = YAML.model_copy(update={"links": [*YAML.links, ManualLink(platform="shop-meta", account_id="7",
                                                                           uid="cat")]})
    with pytest.raises(ConfigError, match="linked to both 'ann' and 'cat'"):
        link_accounts([snap(acc("7"))], PEOPLE, settings)


def test_ui_service_accounts_apply_beside_the_configured_ones_which_win():
    links = _links(acc("9"), acc("10"), service_accounts=[
        ServiceAccount(platform="shop-meta", account_id="9", owner="bob"),
        ServiceAccount(platform="shop-meta", account_id="10", owner="cat", note="agency X until 2027-01-01"),
    ])
    assert links[("shop-meta", "9")].service_account.owner == "ann"
    assert links[("shop-meta", "10")].service_account.owner == "cat"
