"""The GA4GH DRS compliance suite (PyPI `drs-compliance-suite` 1.0.3) against a live `commons serve`.

The suite runs in an environment of its own, made once under the user's
cache folder: it pins Flask 2.2, which needs `werkzeug<3`, and its 1.0.3
wheel lacks the one-line module `supported_drs_versions` its CLI imports,
so that module is written into the environment's site-packages. The
suite's own `jsonschema` is not among its declared dependencies either.

It is run three times over objects uploaded as the Gen3 SDK uploads them:
anonymously (the metadata of every object, as `INDEX_READ=public` serves it,
and the bytes of open data), with a reader's bearer token (metadata and
bytes), and in its passport mode (POSTs with `passports`) with a passport
from a locally minted trusted broker granting the study one object is
indexed under (metadata and bytes).
Every check of its report must pass, but one: the suite checks
service-info against its closed DRS 1.2 schema, which refuses the
`maxBulkRequestLength` DRS 1.4 requires there. Only that exact failure is
let through, and tests/test_drs_schemas.py holds service-info to a closed
1.4 schema, so nothing else can hide behind it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.auth.passports.mint import Broker
from engine.graph.arcadedb import EmbeddedArcadeDB
from engine.graph.store import GraphStore
from engine.objects.store import ObjectStore
from tests.drs_world import DEMO, OPEN, POLICY, READER, SUBMITTER, upload
from tests.live_commons import bearer, serving
from tests.passport_world import SUB, issuers_setting

SUITE = "drs-compliance-suite==1.0.3"
REQUIREMENTS = [SUITE, "werkzeug<3", "jsonschema"]
MISSING_MODULE = 'SUPPORTED_DRS_VERSIONS = ["1.2.0"]\n'
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "commons"
# The one check the 1.2 suite and the 1.4 spec cannot both pass (see the module's docstring).
SERVICE_INFO_SCHEMA = (
    "Service Info response schema validation",
    "Additional properties are not allowed ('maxBulkRequestLength' was unexpected)",
)
STUDY = "phs000123.c1"


def _pypi_unreachable() -> str | None:
    """Why pip cannot get the suite from its index within 2 s, or None."""
    page = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")
    page += "/drs-compliance-suite/"
    try:
        status = httpx.get(page, timeout=1.5, follow_redirects=True).status_code
    except httpx.HTTPError as error:
        return f"{page} is unreachable ({type(error).__name__}): cannot install {SUITE}"
    return None if status == 200 else f"{page} answered {status}: cannot install {SUITE}"


def _site_packages(python: Path) -> Path:
    query = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return Path(subprocess.check_output([str(python), "-c", query], text=True).strip())


def _build(folder: Path) -> None:
    """A virtual environment at `folder` holding the suite, made whole in a side folder first."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        venv.EnvBuilder(with_pip=True).create(building)
        python = building / "bin" / "python"
        pip = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS],
            capture_output=True,
            text=True,
            timeout=240,
        )
        if pip.returncode != 0:
            raise RuntimeError(f"pip install {' '.join(REQUIREMENTS)} failed:\n{pip.stderr}")
        (_site_packages(python) / "supported_drs_versions.py").write_text(MISSING_MODULE)
        building.rename(folder)  # atomic: a concurrent build that got there first wins
    except OSError:
        if not _installed(folder):
            raise
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _installed(folder: Path) -> bool:
    """The environment at `folder` is whole: the module written last is there."""
    return any(folder.glob("lib/python*/site-packages/supported_drs_versions.py"))


@pytest.fixture(scope="module")
def suite() -> Path:
    """The suite's Python, installed on first use (skipped when PyPI cannot be reached).

    The environment is run through its `python -m`, not its console script,
    whose first line names the side folder the environment was built in."""
    folder = CACHE / f"drs-compliance-suite-1.0.3-py{sys.version_info[0]}{sys.version_info[1]}"
    if not _installed(folder):
        reason = _pypi_unreachable()
        if reason:
            pytest.skip(reason)
        _build(folder)
    return folder / "bin" / "python"


@pytest.fixture(scope="module")
def commons(
    graph_store: GraphStore,
    seaweedfs_store: ObjectStore,
    compiled_default: Any,
    arcadedb_server: EmbeddedArcadeDB,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    """A live Commons holding controlled, open and study objects, trusting a local passport
    broker; its URL, the objects, a reader's token and a passport granting the study."""
    folder = tmp_path_factory.mktemp("drs-compliance")
    graph_store.write("MATCH (n) DETACH DELETE n")  # users, policy and records of this module only
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        Broker().serving() as broker,
        serving(
            graph_store,
            seaweedfs_store,
            compiled_default,
            arcadedb_server,
            folder,
            monkeypatch,
            policy=POLICY,
            settings={"PASSPORT_ISSUERS": issuers_setting(broker)},
        ) as env,
    ):
        url = env["COMMONS_PUBLIC_URL"]
        with httpx.Client(base_url=url, headers=bearer(env, folder, SUBMITTER)) as submitter:
            objects = {
                "controlled": [upload(submitter, DEMO, "reads.bam"), upload(submitter, DEMO, "x")],
                "open": [upload(submitter, OPEN, "open.vcf")],
            }
        with httpx.Client(base_url=url, headers=bearer(env, folder, "root", "--admin")) as admin:
            objects["study"] = [upload(admin, f"/programs/{STUDY}", "study.cram")]
        token = bearer(env, folder, READER)["Authorization"].removeprefix("Bearer ")
        passport = broker.passport(SUB, [broker.visa(SUB, STUDY)])
        yield {"url": url, "objects": objects, "token": token, "passport": passport}


def _run(suite: Path, url: str, config: dict[str, Any], folder: Path) -> list[dict[str, str]]:
    """Every case of the suite's report: its test, name, status and message."""
    (folder / "config.json").write_text(json.dumps(config))
    report = folder / "report.json"
    done = subprocess.run(
        [
            str(suite),
            "-m",
            "compliance_suite.report_runner",
            "--server_base_url",
            f"{url}/ga4gh/drs/v1",
            "--platform_name",
            "commons",
            "--platform_description",
            "Commons DRS under test",
            "--drs_version",
            "1.2.0",
            "--config_file",
            str(folder / "config.json"),
            "--report_path",
            str(report),
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return [
        {
            "test": test["test_name"],
            "case": case["case_name"],
            "status": case["status"],
            "message": case["message"],
        }
        for phase in json.loads(report.read_text())["phases"]
        for test in phase["tests"]
        for case in test["cases"]
    ]


def _entries(ids: list[str], auth_type: str, token: str | list[str]) -> list[dict[str, Any]]:
    return [
        {"drs_id": i, "auth_type": auth_type, "auth_token": token, "is_bundle": False} for i in ids
    ]


def _failures(cases: list[dict[str, str]]) -> str:
    """The cases that did not pass (the one known service-info case aside), one a line."""
    return "\n".join(
        f"{case['status']} {case['test']}: {case['case']}: {case['message']}"
        for case in cases
        if case["status"] != "PASS" and (case["case"], case["message"]) != SERVICE_INFO_SCHEMA
    )


def test_anonymous_callers(suite: Path, commons: dict[str, Any], tmp_path: Path) -> None:
    """Anyone reads every object's metadata; the bytes of open data need no token either."""
    objects = commons["objects"]
    config = {
        "service_info": {"auth_type": "none", "auth_token": ""},
        "drs_object_info": _entries(objects["controlled"] + objects["open"], "none", ""),
        "drs_object_access": _entries(objects["open"], "none", ""),
    }
    cases = _run(suite, commons["url"], config, tmp_path)
    assert len(cases) == 3 + 3 * 5 + 3, cases
    assert not _failures(cases), _failures(cases)


def test_a_reader_with_a_bearer_token(suite: Path, commons: dict[str, Any], tmp_path: Path) -> None:
    objects, token = commons["objects"], commons["token"]
    everything = objects["controlled"] + objects["open"]
    config = {
        "service_info": {"auth_type": "bearer", "auth_token": token},
        "drs_object_info": _entries(everything, "bearer", token),
        "drs_object_access": _entries(everything, "bearer", token),
    }
    cases = _run(suite, commons["url"], config, tmp_path)
    assert len(cases) == 3 + 3 * 5 + 3 * 3, cases
    assert not _failures(cases), _failures(cases)


def test_a_passport_holder(suite: Path, commons: dict[str, Any], tmp_path: Path) -> None:
    """The suite's passport mode: POSTs with `passports`, for the study's object and open data."""
    objects, passports = commons["objects"], [commons["passport"]]
    granted = objects["study"] + objects["open"]
    config = {
        "service_info": {"auth_type": "none", "auth_token": ""},
        "drs_object_info": _entries(granted, "passport", passports),
        "drs_object_access": _entries(granted, "passport", passports),
    }
    cases = _run(suite, commons["url"], config, tmp_path)
    assert len(cases) == 3 + 2 * 5 + 2 * 3, cases
    assert not _failures(cases), _failures(cases)
