"""The report tests' audits (see report_fixtures)."""

from __future__ import annotations

import pytest

from tests.reports import report_fixtures


@pytest.fixture(scope="session")
def ordinary_db(tmp_path_factory):
    return report_fixtures.ordinary_db(tmp_path_factory)


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory):
    return report_fixtures.hostile_db(tmp_path_factory)
