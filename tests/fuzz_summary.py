"""A plugin: the fuzz run's figures, one line at the end of the session (`fuzz requests N, 5xx 0`).

tests/test_fuzz_api.py puts its line in the session's stash; printing it in
the terminal summary makes it visible in `make test` without `-s`.
"""

from __future__ import annotations

import pytest

FIGURES = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in terminalreporter.config.stash.get(FIGURES, []):
        terminalreporter.write_line(line)
