"""The unmodified Gen3 SDK's Gen3Index and Gen3File against a live Commons.

The SDK calls indexd under `/index` for a `127.0.0.1` endpoint and at the
root for a `localhost` one, so both are driven. It reads the endpoint from
the access token's `iss` without checking the signature, so an unsigned
token stands in for a login: these routes do not check tokens yet.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path

import httpx
import pytest

from tests.test_submit_cli import live_url  # noqa: F401 - the live server fixture

gen3_auth = pytest.importorskip("gen3.auth")
gen3_index = pytest.importorskip("gen3.index")
gen3_file = pytest.importorskip("gen3.file")

DATA = b"bytes the SDK moves\n" * 100
MD5 = hashlib.md5(DATA).hexdigest()


def _part(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def sdk_auth(endpoint: str):
    claims = {"iss": f"{endpoint}/user", "exp": int(time.time()) + 3600, "sub": "1"}
    token = f"{_part({'alg': 'none', 'typ': 'JWT'})}.{_part(claims)}.sig"
    return gen3_auth.Gen3Auth(endpoint=endpoint, refresh_file=f"accesstoken:///{token}")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_gen3_index_records_and_versions(live_url: str, host: str) -> None:  # noqa: F811
    index = gen3_index.Gen3Index(sdk_auth(live_url.replace("127.0.0.1", host)))
    assert index.is_healthy()
    record = index.create_record(
        hashes={"md5": MD5}, size=len(DATA), file_name="a.txt", authz=["/programs/demo"]
    )
    assert record["size"] == len(DATA) and record["hashes"] == {"md5": MD5}
    assert index.get_record(record["did"])["file_name"] == "a.txt"
    assert index.get(record["did"])["did"] == record["did"]
    assert index.get_record("no-such-guid") is None
    assert index.get_with_params({"hashes": {"md5": MD5}})["did"] == record["did"]
    updated = index.update_record(record["did"], file_name="b.txt", version="1")
    assert updated["file_name"] == "b.txt"
    newer = index.create_new_version(record["did"], hashes={"md5": "0" * 32}, size=1, version="2")
    assert index.get_latest_version(record["did"])["did"] == newer["did"]
    assert len(index.get_versions(record["did"])) == 2
    assert [r["did"] for r in index.get_records([record["did"], newer["did"]])] == [
        record["did"],
        newer["did"],
    ]
    blank = index.create_blank(uploader="sdk", file_name="blank.txt")
    filled = index.update_blank(blank["did"], blank["rev"], hashes={"md5": MD5}, size=3)
    assert filled["size"] == 3
    index.delete_record(newer["did"])
    assert index.get_record(newer["did"]) is None


def test_gen3_file_upload_and_download(
    live_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    auth = sdk_auth(live_url)
    files = gen3_file.Gen3File(auth)
    ticket = files.upload_file("hello.txt", authz=["/programs/demo/projects/omics"])
    assert httpx.put(ticket["url"], content=DATA).status_code == 200
    files.download_single(ticket["guid"], str(tmp_path))
    assert (tmp_path / "hello.txt").read_bytes() == DATA
    record = gen3_index.Gen3Index(auth).get_record(ticket["guid"])
    assert record["hashes"] == {"md5": MD5} and record["size"] == len(DATA)
    files.delete_file_locations(ticket["guid"])
    assert gen3_index.Gen3Index(auth).get_record(ticket["guid"]) is None
