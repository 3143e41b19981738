"""`commons users|keys|policy` on the embedded store, with and without a running `commons serve`."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import jwt
import pytest
import yaml
from click.testing import CliRunner, Result

from engine.cli import main
from tests.test_serve import Serve


def _commons(data_dir: Path, *args: str, public_url: str = "http://127.0.0.1:8000") -> Result:
    env = {
        "COMMONS_CONFIG": "/nonexistent/commons.yaml",
        "COMMONS_DATA_DIR": str(data_dir),
        "COMMONS_PUBLIC_URL": public_url,
        "NEO4J_URI": None,
    }
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output + result.stderr
    return result.stdout


def test_commands_start_their_own_graph_when_no_server_runs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = _commons(data, "users", "add", "alice")
    assert "Added user alice (not an admin)." in _ok(added) + added.stderr
    assert not (data / "graph" / "bolt-endpoint.json").exists(), "removed when the command ends"

    credentials = json.loads(_ok(_commons(data, "keys", "create", "alice", "--days", "7")))
    assert list(credentials) == ["api_key", "key_id"]
    claims = jwt.decode(credentials["api_key"], options={"verify_signature": False})
    assert claims["iss"] == "http://127.0.0.1:8000" and claims["pur"] == "api_key"
    assert claims["jti"] == credentials["key_id"] and claims["exp"] - claims["iat"] == 7 * 86400


def test_signing_keys_rotate_and_retire_without_a_graph(tmp_path: Path) -> None:
    first = _ok(_commons(tmp_path, "keys", "rotate")).strip()
    second = _ok(_commons(tmp_path, "keys", "rotate")).strip()
    assert first < second
    refused = _commons(tmp_path, "keys", "retire", second)
    assert refused.exit_code == 1 and "is the key that signs now" in refused.stderr
    _ok(_commons(tmp_path, "keys", "retire", first))
    assert [p.stem for p in (tmp_path / "auth" / "keys").glob("*.pem")] == [second]


def test_commands_join_a_running_server_and_revocation_is_immediate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repo_root: Path
) -> None:
    serve = Serve(tmp_path / "data")
    url = f"http://127.0.0.1:{serve.port}"
    example = repo_root / "docs" / "commons.policy.example.yaml"
    monkeypatch.setenv("COMMONS_PUBLIC_URL", url)
    monkeypatch.setenv("COMMONS_POLICY_FILE", str(example))
    serve.start()

    def commons(*args: str) -> Result:
        return _commons(serve.data_dir, *args, public_url=url)

    try:
        assert (serve.data_dir / "graph" / "bolt-endpoint.json").stat().st_mode & 0o777 == 0o600
        loaded_at_start = yaml.safe_load(_ok(commons("policy", "show")))
        assert loaded_at_start["authz"] == yaml.safe_load(example.read_text())["authz"]
        edited = tmp_path / "edited.yaml"
        edited.write_text(example.read_text().replace("reader@example.org", "rita@example.org"))
        _ok(commons("policy", "load", str(edited)))
        _ok(commons("users", "add", "root", "--admin"))
        _ok(commons("policy", "grant", "root", "demo_submitter"))
        assert _ok(commons("users", "list")).splitlines() == [
            "admin@example.org\tadmin\t",
            "reader@example.org\t-\tdemo_reader",
            "rita@example.org\t-\tdemo_reader",
            "root\tadmin\tdemo_submitter",
        ]
        shown = yaml.safe_load(_ok(commons("policy", "show")))
        assert shown["users"]["root"] == {"admin": True, "policies": ["demo_submitter"]}
        assert shown["authz"] == yaml.safe_load(edited.read_text())["authz"]
        unknown = commons("keys", "create", "nobody")
        assert unknown.exit_code == 1 and "Traceback" not in unknown.output
        assert "Error: no user 'nobody'; add one with `commons users add nobody`" in unknown.stderr

        credentials = json.loads(_ok(commons("keys", "create", "root")))
        exchanged = httpx.post(f"{url}/user/credentials/cdis/access_token", json=credentials)
        assert exchanged.status_code == 200, exchanged.text
        bearer = {"Authorization": f"bearer {exchanged.json()['access_token']}"}
        assert httpx.get(f"{url}/admin/policy", headers=bearer).status_code == 200

        revoked = commons("keys", "revoke", credentials["key_id"])
        assert f"Revoked API key {credentials['key_id']} of root." in revoked.stderr
        refused = httpx.get(f"{url}/admin/policy", headers=bearer)
        assert refused.status_code == 401 and "revoked" in refused.json()["message"]
        again = httpx.post(f"{url}/user/credentials/cdis/access_token", json=credentials)
        assert again.status_code == 401
    finally:
        output = serve.terminate()
    assert "Traceback" not in output and f"Policy loaded from {example}." in output
    assert not (serve.data_dir / "graph" / "bolt-endpoint.json").exists()
