"""The object store: one S3 bucket through the MinIO SDK (MinIO, SeaweedFS or any S3)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.datatypes import Part
from minio.error import MinioException, S3Error

from engine.graph.store import Health


class ObjectStoreUnavailable(Exception):
    """The object store cannot be reached or refuses the keys; the message says how to fix it."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str


def _info(key: str, size: int | None, etag: str | None) -> ObjectInfo:
    """What a HEAD or a listing says of an object; S3 quotes its ETags."""
    return ObjectInfo(key, size or 0, (etag or "").strip('"'))


def _client(endpoint: str, access_key: str, secret_key: str, secure: bool, region: str) -> Minio:
    # A short timeout and few retries: a store that is down must be reported, not waited on.
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=3.0, read=300.0),
        retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
        maxsize=16,
    )
    return Minio(endpoint, access_key, secret_key, secure=secure, region=region, http_client=http)


def _public_address(public_endpoint: str, secure: bool) -> tuple[str, bool]:
    """`https://files.example.org` or `host:port` -> (host[:port], secure)."""
    if "://" not in public_endpoint:
        return public_endpoint, secure
    parts = urlsplit(public_endpoint)
    return parts.netloc, parts.scheme == "https"


class ObjectStore:
    """Bytes live here; the graph keeps what they are. Keys are paths inside one bucket."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str = "us-east-1",
        name: str = "s3",
        version: str = "",
        public_endpoint: str = "",
    ) -> None:
        self.endpoint = endpoint
        self.bucket = bucket
        self.name = name
        self.version = version
        self.client = _client(endpoint, access_key, secret_key, secure, region)
        # Signed URLs name the host clients connect to, and SigV4 signs that host, so they
        # are signed for the public address; with a region set, signing sends no request.
        self.signer = self.client
        if public_endpoint:
            host, public_secure = _public_address(public_endpoint, secure)
            self.signer = _client(host, access_key, secret_key, public_secure, region)
        try:
            if not self.client.bucket_exists(bucket):
                self.client.make_bucket(bucket)
        except S3Error as error:
            raise ObjectStoreUnavailable(
                f"object store at {endpoint} refused bucket {bucket!r} ({error.code}: {error.message}); "
                "check S3_ACCESS_KEY, S3_SECRET_KEY and S3_BUCKET."
            ) from None
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as error:
            raise ObjectStoreUnavailable(
                f"object store at {endpoint} is not reachable ({error}). Start it, or set "
                "S3_ENDPOINT, S3_ACCESS_KEY and S3_SECRET_KEY to a running S3 (e.g. MinIO); "
                "leave S3_ENDPOINT unset to use the embedded SeaweedFS."
            ) from None

    def put(
        self, key: str, data: bytes | BinaryIO, size: int = -1, part_size: int = 0
    ) -> ObjectInfo:
        """Upload; a stream of unknown size (`size=-1`) goes up in multipart parts."""
        if isinstance(data, bytes):
            size, data = len(data), io.BytesIO(data)
        result = self.client.put_object(
            self.bucket,
            key,
            data,
            size,
            part_size=part_size or (10 * 1024 * 1024 if size < 0 else 0),
        )
        return ObjectInfo(key, size, result.etag)

    def get(self, key: str) -> bytes:
        response = self.client.get_object(self.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            stat = self.client.stat_object(self.bucket, key)
        except S3Error as error:
            if error.code in {"NoSuchKey", "NoSuchObject", "NotFound"}:
                return None
            raise
        return _info(key, stat.size, stat.etag)

    def listed(self, prefix: str) -> dict[str, ObjectInfo]:
        """Every object under `prefix`, by key: one request per thousand objects."""
        return {
            item.object_name: _info(item.object_name, item.size, item.etag)
            for item in self.client.list_objects(self.bucket, prefix=prefix, recursive=True)
            if item.object_name is not None
        }

    def chunks(self, key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        """The object's bytes as they arrive, for checksums of objects too large to hold."""
        response = self.client.get_object(self.bucket, key)
        try:
            yield from response.stream(chunk_size)
        finally:
            response.close()
            response.release_conn()

    def presign_put(self, key: str, expires: timedelta = timedelta(hours=1)) -> str:
        return self.signer.presigned_put_object(self.bucket, key, expires)

    def presign_get(self, key: str, expires: timedelta = timedelta(hours=1)) -> str:
        return self.signer.presigned_get_object(self.bucket, key, expires)

    # Multipart uploads whose parts the client sends straight to S3 through signed URLs.
    # The minio SDK only drives multipart itself (from bytes it holds), so these use its
    # underscored S3 calls: the same requests, without the bytes passing through Commons.

    def start_multipart(self, key: str) -> str:
        """A new multipart upload of `key`; returns its upload id."""
        return self.client._create_multipart_upload(self.bucket, key, {})

    def presign_part(
        self, key: str, upload_id: str, part_number: int, expires: timedelta = timedelta(hours=1)
    ) -> str:
        query = {"partNumber": str(part_number), "uploadId": upload_id}
        return self.signer.get_presigned_url(
            "PUT", self.bucket, key, expires, extra_query_params=query
        )

    def complete_multipart(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> None:
        """Join the parts, given as (part number, ETag the store answered for it)."""
        ordered = [Part(number, etag) for number, etag in sorted(parts)]
        self.client._complete_multipart_upload(self.bucket, key, upload_id, ordered)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop an unfinished multipart upload and every part already sent for it."""
        self.client._abort_multipart_upload(self.bucket, key, upload_id)

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, key)

    def health(self) -> Health:
        try:
            self.client.bucket_exists(self.bucket)
            return Health(self.name, True, self.version)
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as error:
            return Health(self.name, False, "", str(error))
