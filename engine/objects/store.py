"""The object store: one S3 bucket through the MinIO SDK (MinIO, SeaweedFS or any S3)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

import urllib3
from minio import Minio
from minio.error import MinioException, S3Error

from engine.graph.store import Health


class ObjectStoreUnavailable(Exception):
    """The object store cannot be reached or refuses the keys; the message says how to fix it."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str


def _client(endpoint: str, access_key: str, secret_key: str, secure: bool, region: str) -> Minio:
    # A short timeout and few retries: a store that is down must be reported, not waited on.
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=3.0, read=300.0),
        retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
        maxsize=16,
    )
    return Minio(endpoint, access_key, secret_key, secure=secure, region=region, http_client=http)


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
    ) -> None:
        self.endpoint = endpoint
        self.bucket = bucket
        self.name = name
        self.version = version
        self.client = _client(endpoint, access_key, secret_key, secure, region)
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
        return ObjectInfo(key, stat.size or 0, (stat.etag or "").strip('"'))

    def presign_put(self, key: str, expires: timedelta = timedelta(hours=1)) -> str:
        return self.client.presigned_put_object(self.bucket, key, expires)

    def presign_get(self, key: str, expires: timedelta = timedelta(hours=1)) -> str:
        return self.client.presigned_get_object(self.bucket, key, expires)

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, key)

    def health(self) -> Health:
        try:
            self.client.bucket_exists(self.bucket)
            return Health(self.name, True, self.version)
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as error:
            return Health(self.name, False, "", str(error))
