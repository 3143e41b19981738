"""The Neo4j gate: every statement the suite sent, and every dictionary's DDL, as Neo4j sees them.

The suite runs on the embedded ArcadeDB, which accepts Cypher that Neo4j 5
refuses (or warns about), and production runs on Neo4j. So a session
fixture turns on the graph store's statement recorder, and at the end of
the session every distinct text it recorded, plus the DDL that the shipped
dictionaries and the fixture dictionaries compile to, goes through
`lintCypherQuery` of `@neo4j-cypher/language-support`: Neo4j's own parser
and semantic analysis, compiled to JavaScript, run offline in Node
(tests/cypher_gate.mjs; the version is pinned in package.json). An error
or a warning (Neo4j's front-end warns about deprecated forms) fails the
session, naming the statement and Neo4j's message. The parameters a text
was sent with are declared to the analysis; one it uses but was never sent
is an error, as Neo4j would answer. Texts are read as Cypher 5, Neo4j 5's
language; Cypher 25 drops what Cypher 5 deprecates, so a text with no
deprecation is read the same by both. The store sends the same text to both
databases (engine/graph/dialect.py), so what was recorded is the Neo4j form.
Statements sent by another process (a `commons serve` a test starts) are
not recorded: the same code sends them in-process in other tests.

Without Node or node_modules the gate is reported as skipped, unless
COMMONS_CYPHER_GATE=required (`make test`, `make lint-cypher`): then it
fails. Neo4j's analysis takes 20-150 ms a text, so texts found clean by a
linter version are remembered in a file named after it in ~/.cache/commons
(as tests/test_drs_compliance.py keeps its suite there), and a rerun, in
this checkout or a fresh one, lints only what is new.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from engine.dictionary import DictionaryError, load_dictionary
from engine.graph.ddl import compile_ddl
from engine.graph.store import StatementRecorder, record_statements

ROOT = Path(__file__).resolve().parent.parent
LINTER = Path(__file__).with_suffix(".mjs")
PACKAGE = ROOT / "node_modules" / "@neo4j-cypher" / "language-support" / "package.json"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "commons"
FIXTURE_DICTIONARIES = ROOT / "tests" / "fixtures" / "dictionaries"
LINT_TIMEOUT_S = 900

Statements = dict[str, list[str]]  # statement text -> the names of its parameters
RECORDER = pytest.StashKey[StatementRecorder]()
REPORT = pytest.StashKey["Report | str"]()


@dataclass(frozen=True)
class Finding:
    query: str
    severity: str  # "error", or "warning": Neo4j's front-end warns of deprecated forms
    message: str
    offset: int

    def __str__(self) -> str:
        line = self.query.count("\n", 0, self.offset) + 1
        column = self.offset - self.query.rfind("\n", 0, self.offset)
        return f"{self.severity} at line {line}, column {column}: {self.message}"


@dataclass
class Report:
    checked: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(finding.severity == "error" for finding in self.findings)

    @property
    def deprecations(self) -> int:
        return len(self.findings) - self.errors

    def summary(self) -> str:
        return (
            f"statements checked {self.checked}, errors {self.errors}, "
            f"deprecations {self.deprecations}"
        )


def required() -> bool:
    """Whether a gate that cannot run fails (`make test`) rather than being skipped."""
    return os.environ.get("COMMONS_CYPHER_GATE") == "required"


def unavailable() -> str | None:
    """Why the linter cannot run here, or None."""
    if shutil.which("node") is None:
        return "node not found (`make test` installs Debian's nodejs)"
    if not PACKAGE.is_file():
        return "node_modules is missing (`npm ci` installs it; `make test` runs that)"
    return None


def dictionary_ddl() -> set[str]:
    """The DDL of the shipped dictionaries and of every fixture dictionary that loads."""
    folders = [ROOT / "dictionaries" / "default", ROOT / "dictionaries" / "demo"]
    folders += sorted(path for path in FIXTURE_DICTIONARIES.iterdir() if path.is_dir())
    ddl: set[str] = set()
    for folder in folders:
        try:
            ddl.update(compile_ddl(load_dictionary(folder)))
        except DictionaryError:
            continue  # a fixture that is broken on purpose compiles to nothing
    return ddl


def _lint_part(part: list[tuple[str, list[str]]]) -> list[Finding]:
    payload = json.dumps([{"query": query, "parameters": names} for query, names in part])
    done = subprocess.run(
        ["node", str(LINTER)],
        input=payload,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=LINT_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the Cypher linter failed: {done.stderr.strip()}")
    results = json.loads(done.stdout)
    return [
        Finding(query, found["severity"], found["message"], found["offset"])
        for (query, _), found_list in zip(part, results, strict=True)
        for found in found_list
    ]


def lint(statements: Statements) -> list[Finding]:
    """Every statement through `lintCypherQuery`, shared by one Node process per core;
    the parameters named with a statement are declared."""
    if not statements:
        return []
    items = sorted(statements.items())
    parts = min(os.cpu_count() or 1, 4, len(items))
    with ThreadPoolExecutor(parts) as pool:
        found = pool.map(_lint_part, [items[i::parts] for i in range(parts)])
    return [finding for part in found for finding in part]


def _key(query: str, names: list[str]) -> str:
    return hashlib.sha256(json.dumps([query, names]).encode()).hexdigest()


def check(statements: Statements) -> Report:
    """Lint what was not found clean before by the same linter version; remember what is clean."""
    version = json.loads(PACKAGE.read_text())["version"]
    cache = CACHE / f"cypher-gate-{version}.json"
    clean = set(json.loads(cache.read_text())) if cache.is_file() else set()
    keys = {query: _key(query, names) for query, names in statements.items()}
    findings = lint(
        {query: names for query, names in statements.items() if keys[query] not in clean}
    )
    flagged = {finding.query for finding in findings}
    clean |= {key for query, key in keys.items() if query not in flagged}
    CACHE.mkdir(parents=True, exist_ok=True)
    written = cache.with_name(f"{cache.name}.{os.getpid()}")
    written.write_text(json.dumps(sorted(clean)))
    written.replace(cache)  # whole, even when another session ends at the same time
    return Report(len(statements), findings)


@pytest.fixture(scope="session", autouse=True)
def cypher_gate(request: pytest.FixtureRequest) -> None:
    """Record every statement the session sends, for the gate at its end."""
    request.config.stash[RECORDER] = record_statements()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Run the gate when tests ran and were not interrupted; its findings fail the session."""
    recorder = session.config.stash.get(RECORDER, None)
    if recorder is None or exitstatus == pytest.ExitCode.INTERRUPTED:
        return
    reason = unavailable()
    if reason is not None:
        session.config.stash[REPORT] = reason
        if required():
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return
    statements = {query: [] for query in dictionary_ddl()} | recorder.statements()
    report = check(statements)
    session.config.stash[REPORT] = report
    if report.findings:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    report = terminalreporter.config.stash.get(REPORT, None)
    if report is None:
        return
    if isinstance(report, str):
        terminalreporter.write_line(
            f"Neo4j gate {'FAILED' if required() else 'skipped'}: {report}", red=required()
        )
        return
    if report.findings:
        terminalreporter.section("Neo4j gate: statements Neo4j 5 refuses or deprecates")
        by_statement: dict[str, list[Finding]] = {}
        for finding in report.findings:
            by_statement.setdefault(finding.query, []).append(finding)
        for query, findings in by_statement.items():
            terminalreporter.write_line(query)
            for finding in findings:
                terminalreporter.write_line(f"  {finding}", red=finding.severity == "error")
    terminalreporter.write_line(
        f"Neo4j gate: {report.summary()}", red=bool(report.findings), green=not report.findings
    )
