"""The unmodified Gen3 SDK logs in with a credentials.json that `commons keys create` wrote.

The SDK finds the server from the api_key's `iss` and trades the key for an
access token at /user/credentials/cdis/access_token, so this proves both the
claims and the route; then it submits and queries with enforcement on, each
user getting what the policy grants them (tests/live_commons.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

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
    assert submitter.submit_record("demo", "omics", [STUDY, subject])["success"]
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
    _export_answers_404_for_what_is_not_there(submitter)


def _export_answers_404_for_what_is_not_there(submitter) -> None:
    """export_record of an entity, then of it once deleted and of an id never used: sheepdog
    answers those two 404, which the SDK raises."""
    written = submitter.submit_record("demo", "omics", [{**STUDY, "submitter_id": "st-gone"}])
    gone = written["entities"][0]["id"]
    assert submitter.export_record("demo", "omics", gone, "json")[0]["submitter_id"] == "st-gone"
    submitter.delete_record("demo", "omics", gone)
    for absent in (gone, "00000000-0000-4000-8000-000000000000"):
        with pytest.raises(requests.HTTPError) as refused:
            submitter.export_record("demo", "omics", absent, "json")
        assert refused.value.response.status_code == 404, refused.value.response.text
