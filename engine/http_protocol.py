"""uvicorn's HTTP/1.1 protocol, answering a request it cannot read so that the client reads the answer.

uvicorn answers a request it cannot parse (a request line or header block
past `h11_max_incomplete_event_size`, or malformed) with a 400 and closes
the connection at once. A client still sending, as one sending a 1 MB URL
is, then meets a reset and never reads that answer. Here the answer says
what was wrong, 414 for a request line too long, 431 for headers too large
(400 otherwise), and the connection closes the way nginx's lingering close
does: the answer is sent with the end of our side of the stream, and what
the client still sends is read and dropped until it stops, LINGER_S at most.
"""

from __future__ import annotations

import json
from http import HTTPStatus

import h11
from uvicorn.protocols.http.h11_impl import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE, H11Protocol

# The largest request line plus headers read (uvicorn's default is 16 KiB): room for a long
# indexd query (`ids=` of hundreds of GUIDs) and large tokens.
MAX_REQUEST_HEAD = 64 * 1024
LINGER_S = 2.0


class LingeringH11Protocol(H11Protocol):
    """uvicorn's protocol (`uvicorn.Config(http=...)`), but for its answer to a request that
    h11 refuses to parse."""

    lingering = False

    def _refusal(self) -> tuple[int, str]:
        unread, _ = self.conn.trailing_data
        limit = self.config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        if len(unread) <= limit:
            return 400, "the request is not valid HTTP/1.1"
        if b"\n" not in unread:
            return 414, f"the request line (method, URL, version) is longer than {limit} bytes"
        return 431, f"the request line and headers are longer than {limit} bytes"

    def send_400_response(self, msg: str) -> None:
        """Called by uvicorn, only when h11 cannot parse a request (`msg` says no more)."""
        status, message = self._refusal()
        self.logger.warning("Refused a request with %d: %s.", status, message)
        body = json.dumps({"message": message, "code": status}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        reason = HTTPStatus(status).phrase.encode()
        for event in (
            h11.Response(status_code=status, headers=headers, reason=reason),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.lingering = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        # The client's end of the stream closes the connection (asyncio's default); if it
        # does not come, the timer does.
        self.loop.call_later(LINGER_S, self.transport.close)

    def data_received(self, data: bytes) -> None:
        if not self.lingering:  # what is sent after a refusal is dropped
            super().data_received(data)
