"""Child servers (embedded ArcadeDB, embedded SeaweedFS) that never outlive Commons.

Each child runs in its own session, so a Ctrl-C in the terminal reaches
Commons alone and Commons stops the children in order. The kernel sends the
child SIGTERM if Commons dies without cleaning up (PR_SET_PDEATHSIG), so not
even a SIGKILL of Commons leaves an orphan java or weed process.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1


class ChildStartError(Exception):
    """A child server did not become ready; the message names it and quotes its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class ChildServer:
    """One server process: started, waited for, and stopped with SIGTERM then SIGKILL."""

    def __init__(self, name: str, command: Sequence[str], log_path: Path, cwd: Path) -> None:
        self.name = name
        self.command = list(command)
        self.log_path = log_path
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready: Callable[[], bool], timeout: float) -> None:
        """Start the process and poll `ready` until it answers True or `timeout` passes."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ChildStartError(
                    f"{self.name} exited with code {self.process.returncode} while starting; "
                    f"its log ({self.log_path}) ends with:\n{_log_tail(self.log_path)}"
                )
            with contextlib.suppress(Exception):
                if ready():
                    return
            time.sleep(0.1)
        self.stop()
        raise ChildStartError(
            f"{self.name} was not ready after {timeout:.0f} s; "
            f"its log ({self.log_path}) ends with:\n{_log_tail(self.log_path)}"
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, wait, then SIGKILL: the child always ends."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
