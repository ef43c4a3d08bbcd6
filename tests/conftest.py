"""Session-wide rules for every test run (unit and integration).

A skipped test fails the run: a test that cannot run here (a missing service, browser or
package) must not leave CI green. Missing setup is an assertion naming the ``make`` target
that installs it, never ``importorskip``/``skipif``. (xfail is not used in this project; an
xfailed test is reported with the skips and fails the run too.)
"""

from __future__ import annotations

import pytest

_skipped: list[tuple[str, str]] = []


def _reason(report: pytest.CollectReport | pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return f"xfail: {report.wasxfail}"
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # (path, line, "Skipped: reason")
        return str(longrepr[2])
    return str(longrepr)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append((report.nodeid, _reason(report)))


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped:  # a whole module skipped at import (e.g. pytest.importorskip)
        _skipped.append((report.nodeid or "<collection>", _reason(report)))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not _skipped:
        return
    terminalreporter.section("skipped tests fail this run", sep="=", red=True, bold=True)
    for nodeid, reason in _skipped:
        terminalreporter.write_line(f"SKIPPED {nodeid}: {reason}")
    terminalreporter.write_line("Every test must run: install what is missing (see the Makefile) instead of skipping.")
