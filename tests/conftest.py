"""Shared fixtures: every test runs with its own kit state folder, so no learner file is touched."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_session_state(tmp_path_factory):
    """Module and session fixtures run before the per-test folder exists: give them one per
    worker, so two workers never share (and wipe) one checkpoint folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KIT_STATE_DIR", str(tmp_path_factory.mktemp("kit-session-state")))
        yield


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path_factory.mktemp("kit-state")))
    monkeypatch.delenv("GRADER_STRICT", raising=False)
    monkeypatch.delenv("GRADER_EXPORT_DIR", raising=False)


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for the whole test run (a JVM start costs ~10 s)."""
    from labs import engines

    return engines.spark()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each test's outcome on its item, so a fixture can act on failure (browser screenshots)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report
