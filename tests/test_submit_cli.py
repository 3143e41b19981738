"""`commons submit` and `commons export` against a live server on the session stores."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from click.testing import CliRunner
from starlette.testclient import TestClient

from engine.child_process import free_port
from engine.cli import main
from engine.graph.store import GraphStore
from tests.auth_fixture import ADMIN, credentials_file
from tests.test_submission_api import STUDY, count, make_project


@pytest.fixture
def live_url(
    api: TestClient, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A uvicorn serving `api`'s app; the commands run as its admin (COMMONS_CREDENTIALS)."""
    folder = tmp_path_factory.mktemp("credentials")
    credentials = credentials_file(api.app, ADMIN, folder / "credentials.json", admin=True)
    monkeypatch.setenv("COMMONS_CREDENTIALS", str(credentials))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(api.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    while not server.started:
        time.sleep(0.05)
    make_project(api)
    api.put("/api/v0/submission/demo/omics", json=[STUDY])
    yield url
    server.should_exit = True
    thread.join(10)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_files_go_in_import_order_in_batches(
    live_url: str, tmp_path: Path, graph: GraphStore
) -> None:
    samples = "type\tsubmitter_id\tsubjects.submitter_id\tsample_type\n" + "".join(
        f"sample\tsa-{i}\tsu-{i}\tPrimary Tumor\n" for i in range(25)
    )
    subjects = "type,submitter_id,studies.submitter_id\n" + "".join(
        f"subject,su-{i},st-1\n" for i in range(25)
    )
    write(tmp_path, "a_samples.tsv", samples)
    write(tmp_path, "b_subjects.csv", subjects)
    result = CliRunner().invoke(
        main, ["submit", "demo/omics", str(tmp_path), "--url", live_url, "--batch", "10"]
    )
    assert result.exit_code == 0, result.output
    assert count(graph, "subject") == 25 and count(graph, "sample") == 25
    assert graph.read("MATCH (:sample)-[r:SUBJECTS]->(:subject) RETURN count(r) AS n") == [
        {"n": 25}
    ]


def test_errors_name_file_line_and_column(live_url: str, tmp_path: Path, graph: GraphStore) -> None:
    text = "type\tsubmitter_id\tsubjects.submitter_id\tsample_type\nsample\tsa-1\tnobody\tPrimary Tumor\nsample\tsa-2\tnobody\tBogus\n"
    path = write(tmp_path, "samples.tsv", text)
    report = tmp_path / "errors.json"
    result = CliRunner().invoke(
        main, ["submit", "demo/omics", str(path), "--url", live_url, "--report", str(report)]
    )
    assert result.exit_code == 1
    assert f"{path}:2 [subjects] INVALID_LINK" in result.output
    assert f"{path}:3 [sample_type] INVALID_VALUE" in result.output
    errors = json.loads(report.read_text())
    assert {(e["line"], e["column"], e["type"]) for e in errors} >= {
        (2, "subjects", "INVALID_LINK"),
        (3, "sample_type", "INVALID_VALUE"),
    }
    assert count(graph, "sample") == 0


def test_blank_lines_and_header_only_files_send_nothing(
    live_url: str, tmp_path: Path, graph: GraphStore
) -> None:
    """The server refuses a body of no entities, so no batch may be only blank lines."""
    rows = "type\tsubmitter_id\tstudies.submitter_id\nsubject\tsu-1\tst-1\n\n\t\t\n"
    write(tmp_path, "subjects.tsv", rows)
    write(tmp_path, "empty.tsv", "type\tsubmitter_id\n")
    write(tmp_path, "empty.json", "[]")
    result = CliRunner().invoke(
        main, ["submit", "demo/omics", str(tmp_path), "--url", live_url, "--batch", "1"]
    )
    assert result.exit_code == 0, result.output
    assert count(graph, "subject") == 1


def test_dry_run_writes_nothing(live_url: str, tmp_path: Path, graph: GraphStore) -> None:
    path = write(
        tmp_path,
        "s.json",
        json.dumps(
            [{"type": "subject", "submitter_id": "su-1", "studies": {"submitter_id": "st-1"}}]
        ),
    )
    result = CliRunner().invoke(
        main, ["submit", "demo/omics", str(path), "--url", live_url, "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert count(graph, "subject") == 0


def test_export_round_trips(live_url: str, tmp_path: Path) -> None:
    out = tmp_path / "study.tsv"
    result = CliRunner().invoke(
        main, ["export", "demo/omics", "--node", "study", "--out", str(out), "--url", live_url]
    )
    assert result.exit_code == 0, result.output
    header, row = out.read_text().splitlines()
    assert "st-1" in row.split("\t") and header.startswith("type\tid\tsubmitter_id")
    again = CliRunner().invoke(main, ["submit", "demo/omics", str(out), "--url", live_url])
    assert again.exit_code == 0, again.output


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "s.tsv", "type\tsubmitter_id\nsubject\tx\n")
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(main, ["submit", "demo/omics", str(path), "--url", url])
    assert result.exit_code == 1 and "cannot reach Commons" in result.output


def test_without_credentials_the_server_asks_for_them(
    live_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMMONS_CREDENTIALS")
    path = write(tmp_path, "s.tsv", "type\tsubmitter_id\tstudies.submitter_id\nsubject\tx\tst-1\n")
    result = CliRunner().invoke(main, ["submit", "demo/omics", str(path), "--url", live_url])
    assert result.exit_code == 1 and "authentication required" in result.output
    export = CliRunner().invoke(
        main, ["export", "demo/omics", "--node", "study", "--url", live_url]
    )
    assert export.exit_code == 1 and "authentication required" in export.output


def test_a_refused_api_key_is_a_clear_error(live_url: str, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.json", json.dumps({"api_key": "a.b.c", "key_id": "x"}))
    args = ["export", "demo/omics", "--node", "study", "--url", live_url, "--credentials", str(bad)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "the API key was refused: the token is not a well-formed JWT" in result.output
