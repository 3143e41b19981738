"""The unmodified Gen3 SDK logs in with a credentials.json that `commons keys create` wrote.

The SDK finds the server from the api_key's `iss` and trades the key for an
access token at /user/credentials/cdis/access_token, so this proves both the
claims and the route; then it submits and queries with enforcement on, each
user getting what the policy grants them (tests/live_commons.py).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.live_commons import credentials
from tests.test_submission_api import STUDY

gen3_auth = pytest.importorskip("gen3.auth")
gen3_submission = pytest.importorskip("gen3.submission")

SUBJECTS = "{ subject(first: 0) { submitter_id project_id } }"


def _sdk(env: dict[str, str], folder: Path, user: str, *flags: str):
    """A Gen3Submission logged in as `user` with a credentials.json from the CLI."""
    path = credentials(env, folder / f"{user}.json", user, *flags)
    auth = gen3_auth.Gen3Auth(refresh_file=str(path))
    assert auth.endpoint == env["COMMONS_PUBLIC_URL"]
    return gen3_submission.Gen3Submission(auth_provider=auth), auth


def test_gen3_sdk_authenticates_with_commons_credentials(
    live_commons: dict[str, str], tmp_path: Path
) -> None:
    admin, auth = _sdk(live_commons, tmp_path, "root", "--admin")
    assert admin.get_programs() == {"links": []}
    assert auth.get_access_token().count(".") == 2, "an access token was obtained"
    assert auth.curl("admin/policy").status_code == 200, "and sent: only an admin may read this"

    _, reader = _sdk(live_commons, tmp_path, "rita@example.org")
    assert reader.curl("admin/policy").status_code == 403


def test_gen3_sdk_submits_and_queries_as_the_policy_allows(
    live_commons: dict[str, str], tmp_path: Path
) -> None:
    admin, _ = _sdk(live_commons, tmp_path, "root", "--admin")
    admin.create_program({"type": "program", "name": "demo", "dbgap_accession_number": "phs1"})
    project = {"type": "project", "code": "omics", "name": "omics", "dbgap_accession_number": "p2"}
    assert admin.create_project("demo", project)["success"]

    submitter, _ = _sdk(live_commons, tmp_path, "sam@example.org")
    subject = {"type": "subject", "submitter_id": "su-1", "studies": {"submitter_id": "st-1"}}
    submitted = submitter.submit_record("demo", "omics", [STUDY, subject])
    assert submitted["success"]
    subject_id = submitted["entities"][1]["id"]
    assert submitter.query(SUBJECTS)["data"]["subject"] == [
        {"submitter_id": "su-1", "project_id": "demo-omics"}
    ]

    reader, _ = _sdk(live_commons, tmp_path, "rita@example.org")
    assert reader.get_programs() == {"links": ["/v0/submission/demo"]}
    assert reader.query(SUBJECTS)["data"]["subject"] == [
        {"submitter_id": "su-1", "project_id": "demo-omics"}
    ]
    with pytest.raises(Exception, match="403"):  # the SDK raises requests' HTTPError
        reader.submit_record("demo", "omics", [dict(subject, submitter_id="su-2")])

    stranger, _ = _sdk(live_commons, tmp_path, "olga@example.org")
    assert stranger.get_programs() == {"links": []}
    assert stranger.query(SUBJECTS)["data"]["subject"] == []

    # export_record of a record, then of the same record deleted: a 404, as sheepdog answers.
    (exported,) = submitter.export_record("demo", "omics", subject_id, "json")
    assert exported["submitter_id"] == "su-1"
    assert "su-1" in submitter.export_node("demo", "omics", "subject", "tsv")
    submitter.delete_record("demo", "omics", subject_id)
    with pytest.raises(Exception, match="404"):
        submitter.export_record("demo", "omics", subject_id, "json")
    with pytest.raises(Exception, match="404"):
        submitter.export_record("demo", "omics", str(uuid.uuid4()), "tsv")
