"""Move files to and from a running Commons through its signed URLs, checked end to end.

Commons answers the API calls; the bytes go straight between the file and
S3. The S3 side uses urllib3 rather than httpx: measured here, httpx reads a
50 MB body about 8x slower, and urllib3 is already installed for minio.

A file up to `part_size` goes up in one signed PUT (S3's ETag of it is the
MD5, so Commons checks it with one HEAD); a larger one in parts sent in
parallel, and Commons reads the joined object once to check it. Either
way the MD5 computed here while reading the file is declared, so a
corrupted upload is refused and its bytes discarded.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import urllib3

CHUNK = 1024 * 1024
BATCH = 64  # files per request to Commons; batches overlap, so keep several per run
Progress = Callable[[int], None]
T = TypeVar("T")


class TransferError(Exception):
    """A file could not be moved; the message says which and why."""


# What one file's failure can raise: reported with the others, not fatal to the run.
FAILURES = (TransferError, httpx.HTTPError, urllib3.exceptions.HTTPError, OSError)


@dataclass(frozen=True)
class Uploaded:
    path: Path
    guid: str
    size: int
    md5: str


def file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader:
    """A file read once for the PUT body: the MD5 and the progress come from the same read."""

    def __init__(self, path: Path, advance: Progress) -> None:
        self.handle = path.open("rb")
        self.digest = hashlib.md5()
        self.advance = advance

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(size)
        self.digest.update(chunk)
        self.advance(len(chunk))
        return chunk

    def close(self) -> None:
        self.handle.close()


def _answer(response: httpx.Response, what: str) -> Any:
    if response.is_success:
        return response.json()
    try:
        message = response.json().get("message", response.text)
    except ValueError:
        message = response.text
    raise TransferError(f"{what}: {response.status_code} {message}")


class Transfers:
    """One Commons and one S3 connection pool, shared by the worker threads.

    Small files go in batches: one request signs a PUT for each, the PUTs
    run in parallel, and one request has Commons check them all; a large
    file's parts share the same workers.
    """

    def __init__(
        self,
        url: str,
        workers: int = 4,
        part_size: int = 64 * CHUNK,
        auth: httpx.Auth | None = None,
    ) -> None:
        self.api = httpx.Client(base_url=url, auth=auth, timeout=httpx.Timeout(600, connect=10))
        self.s3 = urllib3.PoolManager(
            maxsize=workers * 2, blocksize=CHUNK, timeout=urllib3.Timeout(600, connect=10)
        )
        self.workers = ThreadPoolExecutor(workers, thread_name_prefix="transfer")
        self.coordinators = ThreadPoolExecutor(workers, thread_name_prefix="file")
        self.part_size = part_size
        # Batches overlap, but their requests to Commons take turns: concurrent record
        # writes contend in the graph store (measured: 4 batches at once took up to 1.6 s
        # each, one at a time 0.1 s).
        self.api_turn = threading.Lock()

    def close(self) -> None:
        self.coordinators.shutdown()
        self.workers.shutdown()
        self.api.close()
        self.s3.clear()

    def _put(self, url: str, body: Any, size: int) -> str:
        response = self.s3.request(
            "PUT", url, body=body, headers={"Content-Length": str(size)}, preload_content=True
        )
        if response.status != 200:
            raise TransferError(
                f"the object store refused the upload: {response.status} {response.data[:300]!r}"
            )
        return response.headers["ETag"]

    # Upload -----------------------------------------------------------------------

    def upload(
        self, paths: list[Path], authz: list[str], advance: Progress
    ) -> tuple[list[Uploaded], list[str]]:
        """Every file, large ones in parts; the uploaded ones and a message per failure."""
        small = [path for path in paths if path.stat().st_size <= self.part_size]
        batches = [small[i : i + BATCH] for i in range(0, len(small), BATCH)]
        return self._gather(
            [self.coordinators.submit(self._upload_batch, b, authz, advance) for b in batches]
            + [
                self.coordinators.submit(self._upload_parts, path, authz, advance)
                for path in paths
                if path.stat().st_size > self.part_size
            ]
        )

    @staticmethod
    def _gather(futures: list[Future[tuple[list[T], list[str]]]]) -> tuple[list[T], list[str]]:
        done: list[T] = []
        failed: list[str] = []
        for future in futures:
            try:
                batch_done, batch_failed = future.result()
            except FAILURES as error:
                failed.append(str(error))
                continue
            done += batch_done
            failed += batch_failed
        return done, failed

    def _put_file(self, path: Path, url: str, advance: Progress) -> str:
        reader = _HashingReader(path, advance)
        try:
            self._put(url, reader, path.stat().st_size)
        finally:
            reader.close()
        return reader.digest.hexdigest()

    def _upload_batch(
        self, paths: list[Path], authz: list[str], advance: Progress
    ) -> tuple[list[Uploaded], list[str]]:
        files = [{"file_name": path.name, "authz": authz} for path in paths]
        with self.api_turn:
            tickets = _answer(
                self.api.post("/user/data/upload/batch", json={"files": files}), "upload"
            )["uploads"]
        futures = [
            self.workers.submit(self._put_file, path, ticket["url"], advance)
            for path, ticket in zip(paths, tickets, strict=True)
        ]
        declared, failed, sent = [], [], {}
        for path, ticket, future in zip(paths, tickets, futures, strict=True):
            try:
                md5 = future.result()
            except FAILURES as error:
                failed.append(f"{path}: {error}")
                continue
            sent[ticket["guid"]] = (path, md5)
            size = path.stat().st_size
            declared.append(
                {"guid": ticket["guid"], "rev": ticket["rev"], "size": size, "md5": md5}
            )
        if not declared:
            return [], failed
        with self.api_turn:
            answer = _answer(
                self.api.post("/user/data/upload/complete", json={"files": declared}), "check"
            )
        failed += [f"{sent[e['guid']][0]}: {e['message']}" for e in answer["errors"]]
        done = [
            Uploaded(sent[r["did"]][0], r["did"], r["size"], r["hashes"]["md5"])
            for r in answer["records"]
        ]
        return done, failed

    def _upload_part(
        self, path: Path, key: str, upload_id: str, number: int, advance: Progress
    ) -> dict:
        with path.open("rb") as handle:
            handle.seek((number - 1) * self.part_size)
            data = handle.read(self.part_size)
        signed = _answer(
            self.api.post(
                "/user/data/multipart/upload",
                json={"key": key, "uploadId": upload_id, "partNumber": number},
            ),
            f"{path}: part {number}",
        )
        etag = self._put(signed["presigned_url"], data, len(data))
        advance(len(data))
        return {"PartNumber": number, "ETag": etag}

    def _upload_parts(
        self, path: Path, authz: list[str], advance: Progress
    ) -> tuple[list[Uploaded], list[str]]:
        size = path.stat().st_size
        init = _answer(
            self.api.post(
                "/user/data/multipart/init", json={"file_name": path.name, "authz": authz}
            ),
            f"{path}: multipart init",
        )
        count = -(-size // self.part_size)
        futures = [
            self.workers.submit(self._upload_part, path, init["key"], init["uploadId"], n, advance)
            for n in range(1, count + 1)
        ]
        md5 = file_md5(path)  # while the parts go up; the file is in the page cache by then
        parts = [future.result() for future in futures]
        _answer(
            self.api.post(
                "/user/data/multipart/complete",
                json={
                    "key": init["key"],
                    "uploadId": init["uploadId"],
                    "parts": parts,
                    "md5": md5,
                    "size": size,
                },
            ),
            f"{path}: complete",
        )
        return [Uploaded(path, init["guid"], size, md5)], []

    # Download -----------------------------------------------------------------------

    def records(self, guids: list[str]) -> list[dict[str, Any]]:
        """The records of `guids`; one without a record is an error before anything moves."""
        found: list[dict[str, Any]] = []
        for offset in range(0, len(guids), BATCH):
            batch = guids[offset : offset + BATCH]
            found += _answer(self.api.post("/index/bulk/documents", json=batch), "records")
        missing = sorted(set(guids) - {record["did"] for record in found})
        if missing:
            raise TransferError(f"no record for {', '.join(missing)}")
        return found

    def download(
        self, records: list[dict[str, Any]], folder: Path, advance: Progress
    ) -> tuple[list[Path], list[str]]:
        """Every record's file into `folder`, under its file_name; bytes that disagree are not kept."""
        batches = [records[i : i + BATCH] for i in range(0, len(records), BATCH)]
        return self._gather(
            [self.coordinators.submit(self._download_batch, b, folder, advance) for b in batches]
        )

    def _download_batch(
        self, records: list[dict[str, Any]], folder: Path, advance: Progress
    ) -> tuple[list[Path], list[str]]:
        signed = _answer(
            self.api.post("/user/data/download/batch", json={"guids": [r["did"] for r in records]}),
            "download",
        )["downloads"]
        futures, failed = [], []
        for record, item in zip(records, signed, strict=True):
            if "url" in item:
                futures.append(self.workers.submit(self._get, record, item["url"], folder, advance))
            else:
                failed.append(f"{item['guid']}: {item['message']}")
        done, broken = self._gather(futures)
        return done, failed + broken

    def _get(
        self, record: dict[str, Any], url: str, folder: Path, advance: Progress
    ) -> tuple[list[Path], list[str]]:
        guid = record["did"]
        target = folder / (record.get("file_name") or guid.replace("/", "_"))
        partial = target.with_name(target.name + ".partial")
        digest = hashlib.md5()
        response = self.s3.request("GET", url, preload_content=False)
        try:
            if response.status != 200:
                raise TransferError(f"{guid}: the object store answered {response.status}")
            with partial.open("wb") as handle:
                for chunk in response.stream(CHUNK):
                    handle.write(chunk)
                    digest.update(chunk)
                    advance(len(chunk))
        finally:
            response.release_conn()
        size, md5 = partial.stat().st_size, digest.hexdigest()
        expected = record.get("hashes", {}).get("md5")
        if size != record.get("size") or (expected and md5 != expected):
            partial.unlink()
            raise TransferError(
                f"{guid}: downloaded {size} bytes with md5 {md5}, but the record says "
                f"{record.get('size')} bytes with md5 {expected}; nothing was kept"
            )
        os.replace(partial, target)
        return [target], []
