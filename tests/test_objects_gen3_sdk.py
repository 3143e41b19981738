"""The unmodified Gen3 SDK's Gen3Index and Gen3File, and its DRS client, against a live Commons.

The SDK calls indexd under `/index` for a `127.0.0.1` endpoint and at the
root for a `localhost` one, so both are driven. It logs in with a
credentials.json from `commons keys create`, but sends every indexd GET
without a token: Commons serves with its default `INDEX_READ=public`, so
index records and DRS objects are public metadata, as Gen3's indexd serves
them, while the policy (tests/live_commons.py) grants anonymous callers
nothing: signed URLs and every write still need their permission.
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
drs_client = pytest.importorskip(
    "drsclient.client"
)  # the SDK's DRS client, one of its requirements

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
    assert index.get_record("00000000-0000-4000-8000-000000000000") is None
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

    # A record without authz is its uploader's; the SDK's tokenless read-back shows it, as
    # every record is public metadata, and a stranger reads records but cannot change them.
    blank = index.create_blank(uploader="sdk", file_name="blank.txt")
    assert (blank["file_name"], blank["uploader"]) == ("blank.txt", "sam@example.org")
    stranger = gen3_index.Gen3Index(_login(live_commons, tmp_path, "olga@example.org"))
    assert stranger.get_record(blank["did"])["did"] == blank["did"]
    with pytest.raises(Exception, match="403"):
        stranger.delete_record(record["did"])
    with pytest.raises(Exception, match="403"):
        stranger.update_record(blank["did"], file_name="mine.txt")


def test_gen3_file_upload_and_download(live_commons: dict[str, str], tmp_path: Path) -> None:
    auth = _login(live_commons, tmp_path, "sam@example.org")
    files, index = gen3_file.Gen3File(auth), gen3_index.Gen3Index(auth)
    ticket = files.upload_file("hello.txt", authz=["/programs/demo/projects/omics"])
    assert httpx.put(ticket["url"], content=DATA).status_code == 200
    record = index.get_record(ticket["guid"])  # read without a token; it settles the upload
    assert record["hashes"] == {"md5": MD5} and record["size"] == len(DATA)
    assert len(record["urls"]) == 1 and record["urls"][0].endswith(f"{ticket['guid']}/hello.txt")
    files.download_single(ticket["guid"], str(tmp_path))
    assert (tmp_path / "hello.txt").read_bytes() == DATA

    reader = gen3_file.Gen3File(_login(live_commons, tmp_path, "rita@example.org"))
    assert reader.get_presigned_url(ticket["guid"], protocol="s3")["url"].startswith("http")
    stranger = gen3_file.Gen3File(_login(live_commons, tmp_path, "olga@example.org"))
    with pytest.raises(Exception, match="403"):
        stranger.get_presigned_url(ticket["guid"])

    # DRS: the object is public metadata, its bytes are not.
    endpoint = live_commons["COMMONS_PUBLIC_URL"]
    anonymous = drs_client.DrsClient(endpoint)
    drs_object = anonymous.get(ticket["guid"])
    assert drs_object.status_code == 200, drs_object.text
    assert drs_object.json()["checksums"] == [{"type": "md5", "checksum": MD5}]
    assert drs_object.json()["size"] == len(DATA) and drs_object.json()["name"] == "hello.txt"
    assert anonymous.get("00000000-0000-4000-8000-000000000000").status_code == 404
    assert anonymous.download(ticket["guid"], "s3").status_code == 401
    signed = drs_client.DrsClient(endpoint, token=auth.get_access_token()).download(
        ticket["guid"], "s3"
    )
    assert httpx.get(signed.json()["url"]).content == DATA

    files.delete_file_locations(ticket["guid"])
    assert index.get_record(ticket["guid"]) is None
    assert anonymous.get(ticket["guid"]).status_code == 404
