"""The unmodified Gen3 SDK's Gen3Index and Gen3File against a live Commons, with enforcement on.

The SDK calls indexd under `/index` for a `127.0.0.1` endpoint and at the
root for a `localhost` one, so both are driven. It logs in with a
credentials.json from `commons keys create`, but sends every indexd GET
without a token, so the policy (tests/live_commons.py) makes the demo
program's index records readable by anonymous callers, as Gen3's indexd
serves them; downloads still need `read-storage`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from tests.live_commons import credentials

gen3_auth = pytest.importorskip("gen3.auth")
gen3_index = pytest.importorskip("gen3.index")
gen3_file = pytest.importorskip("gen3.file")

DATA = b"bytes the SDK moves\n" * 100
MD5 = hashlib.md5(DATA).hexdigest()


def _login(env: dict[str, str], folder: Path, user: str):
    return gen3_auth.Gen3Auth(refresh_file=str(credentials(env, folder / f"{user}.json", user)))


@pytest.mark.parametrize("live_commons", ["127.0.0.1", "localhost"], indirect=True)
def test_gen3_index_records_and_versions(live_commons: dict[str, str], tmp_path: Path) -> None:
    index = gen3_index.Gen3Index(_login(live_commons, tmp_path, "sam@example.org"))
    assert index.is_healthy()
    record = index.create_record(
        hashes={"md5": MD5},
        size=len(DATA),
        file_name="a.txt",
        authz=["/programs/demo"],
        urls=["s3://elsewhere/a.txt"],
    )
    assert record["size"] == len(DATA) and record["hashes"] == {"md5": MD5}
    # get_urls answers the values of indexd's /urls object, the URLs first.
    urls = index.get_urls(hashes=f"md5:{MD5}")[0]
    assert urls == [{"url": "s3://elsewhere/a.txt", "metadata": {}}]
    found = index.query_urls("elsewhere")
    assert found == [{"did": record["did"], "urls": ["s3://elsewhere/a.txt"]}]
    assert index.get_record(record["did"])["file_name"] == "a.txt"
    assert index.get(record["did"])["did"] == record["did"]
    assert index.get_record("no-such-guid") is None
    assert index.get_with_params({"hashes": {"md5": MD5}})["did"] == record["did"]
    updated = index.update_record(record["did"], file_name="b.txt", version="1")
    assert updated["file_name"] == "b.txt"
    newer = index.create_new_version(
        record["did"], hashes={"md5": "0" * 32}, size=1, version="2", authz=["/programs/demo"]
    )
    assert index.get_latest_version(record["did"])["did"] == newer["did"]
    assert len(index.get_versions(record["did"])) == 2
    assert [r["did"] for r in index.get_records([record["did"], newer["did"]])] == [
        record["did"],
        newer["did"],
    ]
    index.delete_record(newer["did"])
    assert index.get_record(newer["did"]) is None

    # A record without authz is its uploader's alone: the SDK's tokenless read-back of a
    # blank record finds nothing, and a stranger cannot write to a readable record.
    assert index.create_blank(uploader="sdk", file_name="blank.txt") is None
    stranger = gen3_index.Gen3Index(_login(live_commons, tmp_path, "olga@example.org"))
    with pytest.raises(Exception, match="403"):
        stranger.delete_record(record["did"])


def test_gen3_file_upload_and_download(live_commons: dict[str, str], tmp_path: Path) -> None:
    auth = _login(live_commons, tmp_path, "sam@example.org")
    files = gen3_file.Gen3File(auth)
    ticket = files.upload_file("hello.txt", authz=["/programs/demo/projects/omics"])
    assert httpx.put(ticket["url"], content=DATA).status_code == 200
    files.download_single(ticket["guid"], str(tmp_path))
    assert (tmp_path / "hello.txt").read_bytes() == DATA
    record = gen3_index.Gen3Index(auth).get_record(ticket["guid"])
    assert record["hashes"] == {"md5": MD5} and record["size"] == len(DATA)

    reader = gen3_file.Gen3File(_login(live_commons, tmp_path, "rita@example.org"))
    assert reader.get_presigned_url(ticket["guid"])["url"].startswith("http")
    stranger = gen3_file.Gen3File(_login(live_commons, tmp_path, "olga@example.org"))
    with pytest.raises(Exception, match="403"):
        stranger.get_presigned_url(ticket["guid"])

    files.delete_file_locations(ticket["guid"])
    assert gen3_index.Gen3Index(auth).get_record(ticket["guid"]) is None
