"""Move files to and from a running Commons through its signed URLs, checked end to end.

Commons answers the API calls; the bytes go straight between the file and
S3. The S3 side uses urllib3 rather than httpx: measured here, httpx reads a
50 MB body about 8x slower, and urllib3 is already installed for minio.

A file up to `part_size` goes up in one signed PUT (S3's ETag of it is the
MD5, so Commons checks it with one HEAD); a larger one in parts sent in
parallel, and Commons reads the joined object once to check it. Either
way the MD5 computed here while reading the file is declared, so a
corrupted upload is refused and its bytes discarded. A multipart upload
that fails (or is interrupted) is aborted, so no orphaned parts stay in
the store.

Downloads mirror that: a file up to `part_size` comes in one signed GET,
a larger one in ranges fetched in parallel (engine/objects/incoming.py
checks either against the record before keeping it).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import urllib3

from engine.auth.client import tls
from engine.objects.incoming import Incoming, IntegrityError

CHUNK = 1024 * 1024
# Files per request to Commons. Each request costs Commons and its graph store a few ms
# whatever its size, and batches overlap, so a run keeps several, growing to BATCH
# (measured, 200 x 1 MB: up to 64 a batch took 72% of direct S3's time, up to 256 84%).
BATCH = 256
FIRST_BATCH = 16
Progress = Callable[[int], None]
T = TypeVar("T")


class TransferError(Exception):
    """A file could not be moved; the message says which and why."""


# What one file's failure can raise: reported with the others, not fatal to the run.
FAILURES = (TransferError, IntegrityError, httpx.HTTPError, urllib3.exceptions.HTTPError, OSError)


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


def batches(items: list[T]) -> list[list[T]]:
    """Groups of up to BATCH that start and end small: the bytes begin to move after a short
    first request, and the run ends soon after the last bytes, with a short last request
    (a request for a large batch is a long wait at either end of 1 MB files)."""
    groups: list[list[T]] = []
    start, size = 0, FIRST_BATCH
    while start < len(items):
        left = len(items) - start
        take = min(size, max(FIRST_BATCH, left // 2), left)
        if left - take < FIRST_BATCH and left <= BATCH:  # no stragglers of one or two
            take = left
        groups.append(items[start : start + take])
        start, size = start + take, min(size * 2, BATCH)
    return groups


def _stop(futures: list[Future[Any]]) -> None:
    """Those not started never will; returns once the running ones are over."""
    for future in futures:
        future.cancel()
    wait(futures)


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
        self.api = httpx.Client(
            base_url=url, auth=auth, timeout=httpx.Timeout(600, connect=10), verify=tls()
        )
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
        """After an interrupt, what is still queued is dropped and what runs finishes or aborts."""
        self.workers.shutdown(wait=False, cancel_futures=True)
        self.coordinators.shutdown(cancel_futures=True)
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
        return self._gather(
            [
                self.coordinators.submit(self._upload_batch, b, authz, advance)
                for b in batches(small)
            ]
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
        self, path: Path, upload: dict[str, str], number: int, advance: Progress
    ) -> dict:
        with path.open("rb") as handle:
            handle.seek((number - 1) * self.part_size)
            data = handle.read(self.part_size)
        signed = _answer(
            self.api.post("/user/data/multipart/upload", json={**upload, "partNumber": number}),
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
        upload = {"key": init["key"], "uploadId": init["uploadId"]}
        futures: list[Future[dict]] = []
        try:
            for number in range(1, -(-size // self.part_size) + 1):
                futures.append(
                    self.workers.submit(self._upload_part, path, upload, number, advance)
                )
            md5 = file_md5(path)  # while the parts go up; the file is in the page cache by then
            parts = [future.result() for future in futures]
            body = {**upload, "parts": parts, "md5": md5, "size": size}
            _answer(self.api.post("/user/data/multipart/complete", json=body), f"{path}: complete")
        except Exception as error:
            problem = self._abort(upload, futures)
            if problem:
                raise TransferError(f"{error}; {problem}") from error
            raise
        return [Uploaded(path, init["guid"], size, md5)], []

    def _abort(self, upload: dict[str, str], futures: list[Future[dict]]) -> str | None:
        """Drop the parts sent so far, once none is still going up; why that failed, if it did.

        An upload already joined (or unknown to the store) has no parts left: a 404 is fine.
        """
        _stop(futures)
        try:
            response = self.api.post("/user/data/multipart/abort", json=upload)
        except httpx.HTTPError as error:
            return f"its parts may remain in the store: the abort failed ({error})"
        if response.is_success or response.status_code == 404:
            return None
        return f"its parts may remain in the store: the abort answered {response.status_code}"

    # Download -----------------------------------------------------------------------

    def download(
        self, guids: list[str], folder: Path, advance: Progress, expect: Progress
    ) -> tuple[list[Path], list[str]]:
        """Every GUID's file into `folder`, under its record's file_name; bytes that disagree
        with the record are not kept. `expect` hears each file's size as it is signed."""
        started, refused = self._gather(
            [
                self.coordinators.submit(self._dispatch, batch, folder, advance, expect)
                for batch in batches(guids)
            ]
        )
        done, failed = self._gather(started)
        return done, refused + failed

    def _dispatch(
        self, guids: list[str], folder: Path, advance: Progress, expect: Progress
    ) -> tuple[list[Future[tuple[list[Path], list[str]]]], list[str]]:
        """Sign a batch's GETs in one request, which answers their records too, and start each
        file; waits for none of them.

        A small file is one GET on the workers; a large one is assembled on a
        coordinator of its own, which waits for its ranges on the workers (a
        worker waiting for workers could wait forever).
        """
        body = {"guids": guids}
        signed = _answer(self.api.post("/user/data/download/batch", json=body), "download")
        started, refused = [], []
        for item in signed["downloads"]:
            if "url" not in item:
                refused.append(f"{item['guid']}: {item['message']}")
                continue
            record, url, size = item["record"], item["url"], item["record"].get("size") or 0
            expect(size)
            if size > self.part_size:
                started.append(
                    self.coordinators.submit(self._get_ranges, record, url, folder, advance)
                )
            else:
                started.append(self.workers.submit(self._get, record, url, folder, advance))
        return started, refused

    def _fetch(
        self, url: str, incoming: Incoming, span: tuple[int, int] | None, advance: Progress
    ) -> None:
        """The bytes of `span` (start, end), or of the whole object, written where they belong.

        A whole object is hashed as it streams in; a span's bytes are hashed
        later, in order, by whoever waits for the spans.
        """
        headers = {} if span is None else {"Range": f"bytes={span[0]}-{span[1] - 1}"}
        response = self.s3.request("GET", url, headers=headers, preload_content=False)
        try:
            if response.status == 416:
                raise TransferError(
                    f"{incoming.guid}: the stored object is shorter than its record's "
                    f"{incoming.size} bytes"
                )
            if response.status != (200 if span is None else 206):
                raise TransferError(f"{incoming.guid}: the object store answered {response.status}")
            offset = 0 if span is None else span[0]
            for chunk in response.stream(CHUNK):
                incoming.write(offset, chunk)
                if span is None:
                    incoming.received(chunk)
                offset += len(chunk)
                advance(len(chunk))
        finally:
            response.release_conn()
        if span is not None and offset != span[1]:
            raise TransferError(f"{incoming.guid}: bytes {span[0]}-{span[1] - 1} came short")

    def _get(
        self, record: dict[str, Any], url: str, folder: Path, advance: Progress
    ) -> tuple[list[Path], list[str]]:
        incoming = Incoming(record, folder)
        try:
            self._fetch(url, incoming, None, advance)
        except BaseException:
            incoming.discard()
            raise
        return [incoming.keep()], []

    def _get_ranges(
        self, record: dict[str, Any], url: str, folder: Path, advance: Progress
    ) -> tuple[list[Path], list[str]]:
        """A large file in `part_size` ranges, fetched in parallel and hashed here as they land."""
        size = record["size"]
        spans = [
            (start, min(start + self.part_size, size)) for start in range(0, size, self.part_size)
        ]
        incoming = Incoming(record, folder)
        futures: list[Future[None]] = []
        try:
            for span in spans:
                futures.append(self.workers.submit(self._fetch, url, incoming, span, advance))
            for span, future in zip(spans, futures, strict=True):
                future.result()
                incoming.hash_through(span[1])
        except BaseException:
            _stop(futures)  # nothing may still write once the file is gone
            incoming.discard()
            raise
        return [incoming.keep()], []
