"""The demo's campaigns: one finished with a verifiable evidence PDF, one in progress with some decisions."""

from __future__ import annotations

from pathlib import Path

from auditor.demo.reviews import seed_campaigns
from auditor.reporting.use_cases import verify_file
from auditor.reviews import use_cases as reviews
from tests.reviews.conftest import NOW


def test_demo_has_a_finished_campaign_and_one_in_progress(shop):
    finished, current = seed_campaigns(shop.settings, NOW)
    done = reviews.get_campaign(shop.settings, finished, db=shop.db)
    assert done["status"] == "completed" and done["totals"]["decided"] == done["totals"]["items"] > 0
    assert verify_file(shop.settings, Path(done["evidence_path"])).ok
    going = reviews.get_campaign(shop.settings, current, db=shop.db)
    assert going["status"] == "open" and 0 < going["totals"]["decided"] < going["totals"]["items"]
