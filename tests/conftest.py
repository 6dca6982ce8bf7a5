"""Fixtures shared by every test package: the private PostgreSQL cluster."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.postgres import PostgresCluster


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One private PostgreSQL cluster for the whole session (raises if PostgreSQL is not installed)."""
    cluster = PostgresCluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()
