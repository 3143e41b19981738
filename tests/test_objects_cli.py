"""`commons upload` and `commons download` against a live server on the session stores."""

from __future__ import annotations

import csv
import hashlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from engine.auth.client import ApiKeyAuth
from engine.cli import main
from engine.objects.store import ObjectStore
from engine.objects.transfer import BATCH, FIRST_BATCH, Transfers, batches
from tests.test_objects_upload import open_uploads
from tests.test_submit_cli import live_url  # noqa: F401 - the live server fixture

PART = 5 * 1024 * 1024


def files(folder: Path) -> dict[str, bytes]:
    contents = {
        "small.txt": b"small\n" * 100,
        "empty.bin": b"",
        "big.bin": os.urandom(2 * PART + 123),
    }
    folder.mkdir()
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    return contents


def read_manifest(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_upload_writes_a_manifest_and_download_verifies(
    live_url: str,  # noqa: F811
    api: TestClient,
    tmp_path: Path,
    monkeypatch,
) -> None:
    admin = {"Authorization": api.headers["Authorization"]}
    monkeypatch.chdir(tmp_path)
    contents = files(tmp_path / "data")
    manifest = tmp_path / "manifest.tsv"
    result = CliRunner().invoke(
        main,
        [
            "upload",
            "demo/omics",
            "data",
            "--manifest",
            str(manifest),
            "--node",
            "clinical_document",
            "--part-size",
            "5",
            "--url",
            live_url,
        ],
    )
    assert result.exit_code == 0, result.output
    rows = read_manifest(manifest)
    assert [row["file_name"] for row in rows] == ["big.bin", "empty.bin", "small.txt"]
    for row in rows:
        data = contents[row["file_name"]]
        assert row["type"] == "clinical_document"
        assert row["submitter_id"] == f"data/{row['file_name']}"
        assert row["md5sum"] == hashlib.md5(data).hexdigest() and int(row["file_size"]) == len(data)
        record = httpx.get(f"{live_url}/index/index/{row['object_id']}", headers=admin).json()
        assert record["hashes"]["md5"] == row["md5sum"]
        assert record["authz"] == ["/programs/demo/projects/omics"]

    out = tmp_path / "out"
    result = CliRunner().invoke(  # big.bin in three ranges at once, the others whole
        main,
        ["download", "--manifest", str(manifest), "--out", str(out), "--part-size", "5"]
        + ["--url", live_url],
    )
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in out.iterdir()) == sorted(contents)
    for name, data in contents.items():
        assert (out / name).read_bytes() == data

    single = CliRunner().invoke(
        main, ["download", rows[2]["object_id"], "--out", str(tmp_path / "one"), "--url", live_url]
    )
    assert single.exit_code == 0, single.output
    assert (tmp_path / "one" / "small.txt").read_bytes() == contents["small.txt"]


def test_a_download_that_does_not_match_its_record_is_not_kept(
    live_url: str,  # noqa: F811
    api: TestClient,
    tmp_path: Path,
    seaweedfs_store: ObjectStore,
) -> None:
    data = b"original"
    admin = {"Authorization": api.headers["Authorization"]}
    ticket = httpx.post(
        f"{live_url}/user/data/upload", json={"file_name": "f.txt"}, headers=admin
    ).json()
    httpx.put(ticket["url"], content=data)
    checked = httpx.put(
        f"{live_url}/index/index/blank/{ticket['guid']}?rev={ticket['rev']}",
        json={"size": len(data), "hashes": {"md5": hashlib.md5(data).hexdigest()}},
        headers=admin,
    )
    assert checked.status_code == 200
    seaweedfs_store.put(f"{ticket['guid']}/f.txt", b"tampered")  # behind Commons' back
    result = CliRunner().invoke(
        main, ["download", ticket["guid"], "--out", str(tmp_path), "--url", live_url]
    )
    assert result.exit_code == 1 and "nothing was kept" in result.output
    assert list(tmp_path.iterdir()) == []


def _upload_big(url: str, folder: Path, data: bytes) -> str:
    (folder / "big.bin").write_bytes(data)
    manifest = folder / "manifest.tsv"
    result = CliRunner().invoke(
        main,
        ["upload", "demo/omics", str(folder / "big.bin"), "--manifest", str(manifest)]
        + ["--part-size", "5", "--url", url],
    )
    assert result.exit_code == 0, result.output
    return read_manifest(manifest)[0]["object_id"]


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda data: data[:-1] + b"!", "nothing was kept"),  # same size, other bytes
        (lambda data: data[:-1], "came short"),  # the last range ends early
        (lambda data: data[:PART], "shorter than its record"),  # the last range is missing
    ],
)
def test_a_ranged_download_that_does_not_match_its_record_is_not_kept(
    live_url: str,  # noqa: F811
    tmp_path: Path,
    seaweedfs_store: ObjectStore,
    tamper: Callable[[bytes], bytes],
    message: str,
) -> None:
    data = os.urandom(2 * PART + 123)
    guid = _upload_big(live_url, tmp_path, data)
    seaweedfs_store.put(f"{guid}/big.bin", tamper(data))  # behind Commons' back
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["download", guid, "--out", str(out), "--part-size", "5", "--url", live_url]
    )
    assert result.exit_code == 1, result.output
    assert message in " ".join(result.output.split())  # the console wraps long lines
    assert list(out.iterdir()) == []


def test_a_failed_multipart_upload_leaves_no_parts_in_the_store(
    live_url: str,  # noqa: F811
    tmp_path: Path,
    seaweedfs_store: ObjectStore,
) -> None:
    path = tmp_path / f"abandoned-{uuid.uuid4()}.bin"
    path.write_bytes(os.urandom(3 * PART))
    sent: list[int] = []

    def advance(count: int) -> None:  # the client fails once a part is in the store
        sent.append(count)
        raise OSError("the disk went away")

    auth = ApiKeyAuth(live_url, Path(os.environ["COMMONS_CREDENTIALS"]))
    transfers = Transfers(live_url, 2, PART, auth=auth)
    try:
        done, failed = transfers.upload([path], ["/programs/demo/projects/omics"], advance)
    finally:
        transfers.close()
    assert done == [] and len(failed) == 1 and "the disk went away" in failed[0]
    assert sent  # parts had reached the store
    assert [key for key, _ in open_uploads(seaweedfs_store) if path.name in key] == []


def test_bad_arguments(live_url: str, tmp_path: Path) -> None:  # noqa: F811
    (tmp_path / "f").write_text("x")
    no_project = CliRunner().invoke(
        main, ["upload", "demo/nope", str(tmp_path / "f"), "--url", live_url]
    )
    assert no_project.exit_code == 1 and "demo/nope does not exist" in no_project.output
    unknown = CliRunner().invoke(main, ["download", "no-such-guid", "--url", live_url])
    assert (
        unknown.exit_code == 1 and "no-such-guid: no record with did no-such-guid" in unknown.output
    )
    nothing = CliRunner().invoke(main, ["download", "--url", live_url])
    assert nothing.exit_code == 2


@pytest.mark.parametrize("count", [0, 1, 9, 64, 200, 1000])
def test_batches_start_and_end_small_and_keep_every_file_in_order(count: int) -> None:
    items = list(range(count))
    groups = batches(items)
    assert [item for group in groups for item in group] == items
    assert all(0 < len(group) <= BATCH for group in groups)
    if count > BATCH:
        assert len(groups[0]) == FIRST_BATCH and len(groups[-1]) < BATCH
