"""The object store against real S3 servers: bytes, stats, signed URLs, refused keys."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from engine.objects.store import ObjectStore, ObjectStoreUnavailable


def test_put_get_stat_delete(object_store: ObjectStore, key_prefix: str) -> None:
    data = b"hello commons\n" * 1000
    info = object_store.put(key_prefix + "greeting.txt", data)
    assert info.etag.strip('"') == hashlib.md5(data).hexdigest()
    assert object_store.get(key_prefix + "greeting.txt") == data
    stat = object_store.stat(key_prefix + "greeting.txt")
    assert stat is not None and stat.size == len(data)
    object_store.delete(key_prefix + "greeting.txt")
    assert object_store.stat(key_prefix + "greeting.txt") is None


def test_a_listing_answers_what_a_stat_does(object_store: ObjectStore, key_prefix: str) -> None:
    for name, data in (("a/one.bin", b"1" * 100), ("a/b/two.bin", b"22"), ("other.bin", b"3")):
        object_store.put(key_prefix + name, data)
    listed = object_store.listed(key_prefix + "a/")
    assert sorted(listed) == [key_prefix + "a/b/two.bin", key_prefix + "a/one.bin"]
    for key, info in listed.items():
        assert info == object_store.stat(key)
    assert object_store.listed(key_prefix + "nothing/") == {}


def test_presigned_put_then_get(object_store: ObjectStore, key_prefix: str) -> None:
    key = key_prefix + "signed.bin"
    data = bytes(range(256)) * 64
    assert httpx.put(object_store.presign_put(key), content=data).status_code == 200
    response = httpx.get(object_store.presign_get(key))
    assert response.status_code == 200 and response.content == data


def test_tampered_signed_url_is_refused(object_store: ObjectStore, key_prefix: str) -> None:
    key = key_prefix + "secret.txt"
    object_store.put(key, b"secret")
    url = object_store.presign_get(key)
    tampered = url.replace("secret.txt", "secret.txt2")
    assert httpx.get(tampered).status_code == 403


def test_stream_of_unknown_size_goes_up_in_parts(
    object_store: ObjectStore, key_prefix: str
) -> None:
    import io

    data = b"x" * (12 * 1024 * 1024)
    object_store.put(key_prefix + "big.bin", io.BytesIO(data), size=-1, part_size=5 * 1024 * 1024)
    assert object_store.stat(key_prefix + "big.bin").size == len(data)


def test_health_reports_ok(object_store: ObjectStore) -> None:
    assert object_store.health().ok


def test_wrong_secret_is_refused(seaweedfs_server) -> None:
    endpoint = seaweedfs_server.endpoint
    with pytest.raises(ObjectStoreUnavailable) as caught:
        ObjectStore(endpoint.endpoint, endpoint.access_key, "not-the-secret", "commons-test")
    assert "S3_SECRET_KEY" in str(caught.value)


def test_unreachable_store_names_itself_and_the_settings() -> None:
    from engine.child_process import free_port

    port = free_port()
    with pytest.raises(ObjectStoreUnavailable) as caught:
        ObjectStore(f"127.0.0.1:{port}", "key", "secret", "commons-test")
    assert f"127.0.0.1:{port}" in str(caught.value) and "S3_ENDPOINT" in str(caught.value)


def test_two_embedded_servers_run_side_by_side(tmp_path, seaweedfs_server) -> None:
    """Every listener is on a port of its own: a second instance (the session's is running) starts."""
    from engine.objects.seaweedfs import EmbeddedSeaweedFS

    second = EmbeddedSeaweedFS(tmp_path / "second")
    try:
        endpoint = second.start()
        store = ObjectStore(endpoint.endpoint, endpoint.access_key, endpoint.secret_key, "side")
        store.put("x", b"y")
        assert store.get("x") == b"y"
    finally:
        second.stop()
