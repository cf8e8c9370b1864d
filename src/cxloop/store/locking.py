"""Writer intent: how a process waiting for the workspace's DuckDB lock asks a server to let go.

DuckDB lets one process open a file for writing (or several for reading, none writing). `cxloop serve`
holds the file only while requests are in flight; a CLI command that finds it locked takes a *shared*
flock on `.cxloop-writer` while it retries, and the server, seeing that lock (`writer_waiting`), lets
its in-flight requests finish, closes the file and admits no new request until the CLI is done — so the
CLI gets its turn even under continuous API load.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["INTENT_FILE", "announce_writer", "writer_waiting"]

INTENT_FILE = ".cxloop-writer"


@contextlib.contextmanager
def announce_writer(root: Path) -> Iterator[None]:
    """Hold the intent lock (shared among waiters) for the duration of the block; no-op if it cannot."""
    try:
        fd = os.open(root / INTENT_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def writer_waiting(root: Path) -> bool:
    """Whether another process is waiting for the workspace (holds the intent lock)."""
    try:
        fd = os.open(root / INTENT_FILE, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False
