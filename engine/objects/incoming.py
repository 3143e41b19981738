"""A downloaded file, kept only when its bytes are the ones its record describes.

The bytes go to `<name>.partial` beside the target and replace the target
only once their size and MD5 match the record; on any failure the partial
file is removed, so a failed or tampered download never leaves a file that
looks complete.

Bytes arrive at offsets, so a large object can come in ranges fetched in
parallel. MD5 cannot be combined from pieces, so it is computed in order:
either from the bytes as one stream delivers them (`received`), or by
reading back each range once every range before it has landed
(`hash_through`): the page cache still holds them, and hashing the first
ranges overlaps fetching the later ones instead of following the download.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

READ_BACK = 4 * 1024 * 1024


class IntegrityError(Exception):
    """The bytes that arrived are not the record's; nothing was kept."""


class Incoming:
    """One record's bytes on their way into `folder`, under the record's file_name."""

    def __init__(self, record: dict[str, Any], folder: Path) -> None:
        self.guid: str = record["did"]
        self.size: int | None = record.get("size")
        self.md5: str | None = record.get("hashes", {}).get("md5")
        self.target = folder / (record.get("file_name") or self.guid.replace("/", "_"))
        self.partial = self.target.with_name(self.target.name + ".partial")
        self.fd = os.open(self.partial, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        self.digest = hashlib.md5()
        self.hashed = 0  # bytes from the start that the digest has seen

    def write(self, offset: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.pwrite(self.fd, view, offset)
            view, offset = view[written:], offset + written

    def received(self, data: bytes) -> None:
        """The next bytes in order, as a single stream delivers them."""
        self.digest.update(data)
        self.hashed += len(data)

    def hash_through(self, end: int) -> None:
        """Bring the digest up to `end`, reading back bytes already written."""
        if self.hashed >= end:
            return
        view = memoryview(bytearray(min(READ_BACK, end - self.hashed)))
        while self.hashed < end:
            read = os.preadv(self.fd, [view[: end - self.hashed]], self.hashed)
            if not read:
                break  # fewer bytes than expected: the size check below says so
            self.digest.update(view[:read])
            self.hashed += read

    def keep(self) -> Path:
        """The checked file, in place of the target; IntegrityError (and nothing kept) if it differs."""
        size = os.fstat(self.fd).st_size
        self.hash_through(size)
        md5 = self.digest.hexdigest()
        if size != self.size or (self.md5 and md5 != self.md5):
            self.discard()
            raise IntegrityError(
                f"{self.guid}: downloaded {size} bytes with md5 {md5}, but the record says "
                f"{self.size} bytes with md5 {self.md5}; nothing was kept"
            )
        os.close(self.fd)
        os.replace(self.partial, self.target)
        return self.target

    def discard(self) -> None:
        os.close(self.fd)
        self.partial.unlink(missing_ok=True)
