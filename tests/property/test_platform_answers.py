"""Platform answers: each demo emulator's real answer to one request, randomly mutated, gives a snapshot or one
ConnectorError naming the platform, never a crash (through each connector over real HTTP)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.errors import AuditorError
from auditor.model import TenantSnapshot
from tests.property.platforms import NOW, platforms
from tests.property.strategies import mutated

NAMES = sorted(platforms())
EXAMPLES = 10  # per platform: ten platforms, each example one whole read over HTTP
BUDGET = {"Kwiatek on Meta": 4}  # Meta's read is ~50 distinct requests: fewer examples, the same time
CLEAN: dict[str, list[str]] = {}


def clean_paths(name: str) -> list[str]:
    """The request paths of a clean read of the platform (read once)."""
    if name not in CLEAN:
        platform = platforms()[name]
        platform.mutator.arm(None)
        snap = platform.connector().fetch(now=NOW)
        assert snap.complete, snap.errors
        CLEAN[name] = sorted(path for path in set(platform.mutator.paths) if path in platform.mutator.answers)
    return CLEAN[name]


def test_every_emulator_is_covered():
    assert {p.kind for p in platforms().values()} >= {"meta", "linkedin", "tiktok", "x", "pinterest", "google_ads",
                                                       "shopify", "woocommerce", "gtm", "ga4"}


@pytest.mark.parametrize("name", NAMES)
def test_a_mutated_answer_gives_a_snapshot_or_names_the_platform(name):
    platform = platforms()[name]
    paths = clean_paths(name)

    @settings(max_examples=BUDGET.get(name, EXAMPLES), deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(paths).flatmap(
        lambda path: st.tuples(st.just(path), mutated(platform.mutator.answers[path]))))
    def check(case):
        platform.mutator.arm(*case)
        try:
            snap = platform.connector().fetch(now=NOW)
        except AuditorError as exc:
            message = str(exc)
            assert message.startswith(f"{name}: ") and "Traceback" not in message, message
            return
        assert isinstance(snap, TenantSnapshot)
        assert snap.complete or snap.errors, "an incomplete read says why"
        assert all(reason.strip() for reason in snap.incomplete_scopes.values())

    check()
