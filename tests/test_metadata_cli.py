"""`commons metadata get|put|query|delete|load` against a live Commons, as an operator runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from engine.cli import main
from tests.live_commons import credentials


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(
        main, ["metadata", *args, "--url", env["COMMONS_PUBLIC_URL"]], input=stdin, env=env
    )


def _ok(env: dict[str, str], *args: str, stdin: str | None = None) -> object:
    result = _run(env, *args, stdin=stdin)
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def test_metadata_commands(live_commons: dict[str, str], tmp_path: Path) -> None:
    env = live_commons
    key = str(credentials(env, tmp_path / "admin.json", "cli-admin@example.org", "--admin"))
    creds = ("--credentials", key)
    assert _ok(env, "put", "g1", *creds, stdin='{"a": {"b": 1}, "t": "x"}') == {
        "a": {"b": 1},
        "t": "x",
    }
    blob = tmp_path / "g1.json"
    blob.write_text('{"c": 2}')
    assert _ok(env, "put", "g1", str(blob), "--merge", *creds) == {"a": {"b": 1}, "t": "x", "c": 2}
    assert _ok(env, "get", "g1")["c"] == 2
    assert _ok(env, "query", "a.b=1", "t=x", "--data") == {"g1": {"a": {"b": 1}, "t": "x", "c": 2}}

    table = tmp_path / "studies.tsv"
    table.write_text(
        "guid\t_guid_type\tgen3_discovery.study_name\tgen3_discovery.subjects\tnote\n"
        "s1\tdiscovery_metadata\tLung\t12\t\n"
        "s2\tdiscovery_metadata\tHeart\t7\tkept\n"
    )
    loaded = _run(env, "load", str(table), "--batch", "1", *creds)
    assert loaded.exit_code == 0, loaded.output
    assert "2 created" in loaded.stderr
    assert _ok(env, "get", "s1") == {
        "_guid_type": "discovery_metadata",
        "gen3_discovery": {"study_name": "Lung", "subjects": 12},
    }
    listing = tmp_path / "more.json"
    listing.write_text(json.dumps({"j1": {"k": "v"}, "s1": {"k": "v"}}))
    again = _run(env, "load", str(listing), "--no-overwrite", *creds)
    assert again.exit_code == 1 and "1 conflict" in again.stderr and "s1" in again.stderr
    assert _ok(env, "query", "k=v") == ["j1"]
    assert _ok(env, "query", "_guid_type=discovery_metadata", "--limit", "1", "--offset", "1") == [
        "s2"
    ]
    assert _ok(env, "delete", "j1", *creds) == {"k": "v"}

    refused = _run(env, "put", "g2", stdin="{}")  # anonymous
    assert refused.exit_code == 1 and "403" in refused.stderr and "mds_gateway" in refused.stderr
    missing = _run(env, "get", "nothing")
    assert missing.exit_code == 1 and "404 Not found: nothing" in missing.stderr


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.tsv", "name\tx\nn\t1\n", "bad.tsv line 1: no guid column"),
        ("bad.tsv", "guid\tx\ng1\t1\n\t2\n", "bad.tsv line 3: the guid is empty"),
        ("bad.tsv", "guid\ta\ta.b\ng1\t1\t2\n", "bad.tsv line 2: column a.b nests under a"),
        ("bad.json", '[{"guid": "g", "data": {}}, {"guid": "h"}]', "bad.json record 2"),
        ("bad.json", '{"g": ', "bad.json is not valid JSON"),
        ("bad.yaml", "g: {}", "expected a .json, .tsv or .csv file"),
    ],
)
def test_load_names_the_file_and_line(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    result = CliRunner().invoke(
        main, ["metadata", "load", str(path), "--url", "http://127.0.0.1:9"]
    )
    assert result.exit_code == 1 and message in result.stderr, result.output
