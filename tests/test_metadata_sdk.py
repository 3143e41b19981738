"""The unmodified Gen3 SDK's `Gen3Metadata` and `gen3 discovery publish|read` against a live Commons.

The SDK reads at `/mds` and writes through `/mds-admin` for a `127.0.0.1`
endpoint (a `localhost` one would call the root `/metadata` routes). It
logs in with a credentials.json from `commons keys create`; an admin may
write, a user without `access` on `/mds_gateway` may only read.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live_commons import credentials

gen3_auth = pytest.importorskip("gen3.auth")
gen3_metadata = pytest.importorskip("gen3.metadata")
GEN3 = Path(sys.executable).with_name("gen3")  # the SDK's own command, installed beside it


def _metadata(env: dict[str, str], folder: Path, user: str, *flags: str):
    key = credentials(env, folder / f"{user}.json", user, *flags)
    return gen3_metadata.Gen3Metadata(auth_provider=gen3_auth.Gen3Auth(refresh_file=str(key)))


def test_gen3_metadata(live_commons: dict[str, str], tmp_path: Path) -> None:
    mds = _metadata(live_commons, tmp_path, "mds-admin@example.org", "--admin")
    assert mds.endpoint == live_commons["COMMONS_PUBLIC_URL"] + "/mds"
    assert mds.is_healthy()
    assert json.loads(mds.get_version())
    created = mds.create("dg.1/one", {"a": {"b": 1}, "t": "x"}, aliases=["first"])
    assert created == {"a": {"b": 1}, "t": "x"}
    assert mds.get_aliases("dg.1/one") == {"guid": "dg.1/one", "aliases": ["first"]}
    assert mds.get("first") == created
    answer = mds.batch_create(
        [{"guid": "two", "data": {"a": {"b": 2}, "t": "x"}}, {"guid": "star", "data": {"t": "*"}}]
    )
    assert answer == {"created": ["two", "star"], "updated": [], "conflict": [], "bad_input": []}
    assert mds.query("t=x") == ["dg.1/one", "two"]
    assert mds.query("t=x&a.b=2", return_full_metadata=True) == {"two": {"a": {"b": 2}, "t": "x"}}
    assert mds.query("a.b=*", limit=1, offset=1) == ["two"]
    assert mds.query("t=\\*") == ["star"]
    assert mds.update("two", {"c": 3}) == {"c": 3}
    # The SDK's update() does not send `merge`; its async_update() does.
    merged = asyncio.run(mds.async_update("two", {"d": 4}, aliases=["2nd"], merge=True))
    assert merged == {"c": 3, "d": 4}
    assert mds.get_aliases("two")["aliases"] == ["2nd"]
    assert mds.delete("two") == {"c": 3, "d": 4}
    assert mds.query("c=3") == []
    with pytest.raises(Exception, match="404"):
        mds.get("two")

    reader = _metadata(live_commons, tmp_path, "rita@example.org")
    assert reader.get("dg.1/one") == created
    with pytest.raises(Exception, match="403"):
        reader.batch_create([{"guid": "three", "data": {}}])


STUDIES = [
    {"guid": "study-1", "study_name": "Lung cohort", "_tag_0": "Disease:Lung", "subjects": "12"},
    {"guid": "study-2", "study_name": "Heart cohort", "_tag_0": "Disease:Heart", "subjects": "7"},
]


def _gen3(key: Path, *args: str) -> str:
    """`gen3 --auth KEY ARGS`, run in KEY's folder (where `discovery read` writes its file)."""
    result = subprocess.run(
        [str(GEN3), "--auth", str(key), *args],
        cwd=key.parent,
        env={**os.environ, "HOME": str(key.parent)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_gen3_discovery_publish_then_read(live_commons: dict[str, str], tmp_path: Path) -> None:
    key = credentials(live_commons, tmp_path / "admin.json", "disc@example.org", "--admin")
    published = tmp_path / "studies.tsv"
    with published.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(STUDIES[0]), delimiter="\t")
        writer.writeheader()
        writer.writerows(STUDIES)
    _gen3(key, "discovery", "publish", str(published))
    expected = {
        study["guid"]: {
            "study_name": study["study_name"],
            "subjects": int(study["subjects"]),
            "tags": [dict(zip(("category", "name"), study["_tag_0"].split(":"), strict=True))],
        }
        for study in STUDIES
    }
    for agg in ((), ("--agg",)):
        output = _gen3(key, "discovery", "read", "--output_format", "json", *agg).strip()
        read = json.loads((tmp_path / output.splitlines()[-1]).read_text())
        by_guid = {entry["guid"].split("__")[-1]: entry for entry in read}
        assert sorted(by_guid) == sorted(expected)
        for guid, study in expected.items():
            got = by_guid[guid]["gen3_discovery"]
            assert {field: got[field] for field in study} == study
