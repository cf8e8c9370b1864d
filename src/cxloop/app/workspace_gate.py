"""How a long-running server shares one workspace with CLI commands (DuckDB: one process per file).

`WorkspaceGate.session(principal)` hands each request a `Workspace` on its own cursor of one shared
read-write connection, opened when the first request arrives and closed when the last in-flight one
ends (after `linger` seconds without a request), so between bursts the file is free for `cxloop ingest`.
A CLI command that finds the file held announces itself (`store.locking`); the gate then admits no new
request, lets the in-flight ones finish and closes, and the CLI gets the file. A request that arrives
while a CLI command holds the file waits up to `wait` seconds, then fails with `Busy` (the API answers
503 with Retry-After). Writes of the API and of the CLI thus serialise; none is lost or half-written
(each is one DuckDB transaction).
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from cxloop.access import Principal
from cxloop.app.workspace import Workspace
from cxloop.config import CONFIG_FILE, DATABASE_FILE, Settings, load_settings
from cxloop.errors import Busy
from cxloop.store import connect, writer_waiting

__all__ = ["WorkspaceGate"]

_POLL = 0.02
_OPEN: weakref.WeakSet[WorkspaceGate] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    """Close the shared connections before the interpreter stops its threads (a connection closed by a
    timer thread during finalisation aborts the process)."""
    for gate in list(_OPEN):
        gate.close()


class WorkspaceGate:
    """Shared access of one server process to the workspace at `root`."""

    def __init__(self, root: Path, *, wait: float = 5.0, retry_after: int = 2, linger: float = 0.5) -> None:
        self.root = root
        self.wait = wait
        self.retry_after = retry_after
        self.linger = linger
        self._cond = threading.Condition()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._users = 0
        self._generation = 0
        self._last_release = 0.0
        self._timer_pending = False
        self.write_lock = threading.Lock()  # API writes take turns (one DuckDB transaction at a time)
        self.data_generation = 0  # grows whenever the data may have changed (cache keys use it)
        self._closed_stamp: tuple[int, ...] | None = None
        self._settings: tuple[float, Settings] | None = None
        _OPEN.add(self)

    # -- settings, reloaded when cxloop.toml changes ----------------------------------------------
    def settings(self) -> Settings:
        mtime = (self.root / CONFIG_FILE).stat().st_mtime if (self.root / CONFIG_FILE).exists() else -1.0
        if self._settings is None or self._settings[0] != mtime:
            self._settings = (mtime, load_settings(self.root))
        return self._settings[1]

    @property
    def settings_version(self) -> float:
        return self._settings[0] if self._settings else -1.0

    # -- the shared connection --------------------------------------------------------------------
    def _stamp(self) -> tuple[int, ...]:
        """Size and modification time of the database file and its WAL: another process's write changes them."""
        out: list[int] = []
        for path in (self.root / DATABASE_FILE, self.root / (DATABASE_FILE + ".wal")):
            try:
                st = path.stat()
                out += [st.st_size, st.st_mtime_ns]
            except OSError:
                out += [-1, -1]
        return tuple(out)

    def _close_locked(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
            self._generation += 1
            self._closed_stamp = self._stamp()

    def _try_open_locked(self) -> bool:
        try:
            self._con = connect(self.root / DATABASE_FILE)
        except Busy:
            return False
        if self._closed_stamp is None or self._closed_stamp != self._stamp():
            self.data_generation += 1  # first open, or someone wrote while the file was free
        return True

    def wrote(self) -> None:
        """Mark that a request of this process changed the data."""
        with self._cond:
            self.data_generation += 1

    def _acquire(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.wait
        with self._cond:
            while True:
                waiting = writer_waiting(self.root)
                if waiting and self._con is not None and self._users == 0:
                    self._close_locked()
                if not waiting and (self._con is not None or self._try_open_locked()):
                    assert self._con is not None
                    self._users += 1
                    return self._con
                if time.monotonic() >= deadline:
                    raise Busy("the workspace is in use by another process (e.g. cxloop ingest); retry in "
                               f"{self.retry_after} s (工作区正被其他进程使用，请稍后重试)",
                               retry_after=self.retry_after)
                self._cond.wait(_POLL)

    def _release(self) -> None:
        with self._cond:
            self._users -= 1
            if self._users:
                return
            self._last_release = time.monotonic()
            if self.linger <= 0 or writer_waiting(self.root):
                self._close_locked()
            elif not self._timer_pending:
                self._schedule_close(self.linger)
            self._cond.notify_all()

    def _schedule_close(self, delay: float) -> None:
        self._timer_pending = True
        timer = threading.Timer(delay, self._close_idle, args=(self._generation,))
        timer.daemon = True
        timer.start()

    def _close_idle(self, generation: int) -> None:
        with self._cond:
            self._timer_pending = False
            if self._users or self._generation != generation or self._con is None:
                return
            idle = time.monotonic() - self._last_release
            if idle >= self.linger * 0.99:
                self._close_locked()
            else:
                self._schedule_close(self.linger - idle)

    def close(self) -> None:
        with self._cond:
            self._close_locked()

    @contextmanager
    def session(self, principal: Principal) -> Iterator[Workspace]:
        """A workspace for one request, acting as `principal`."""
        settings = self.settings()
        con = self._acquire()
        try:
            cursor = con.cursor()
            try:
                cursor.execute("SET TimeZone = 'UTC'")
                yield Workspace(self.root, settings, cursor, principal)
            finally:
                cursor.close()
        finally:
            self._release()
