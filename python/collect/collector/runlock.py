"""One `collect run` per database: an exclusive OS lock on a sibling `<db>.lock` file.

The lock is `flock`, which the kernel releases when its holder exits in any way, kill -9
included, so a crashed run never leaves a stale lock behind. flock belongs to the open file, not
to the process, so a second run in the same process is refused too. The lock file keeps the
holder's pid, host and start time for the message the refused run prints; it is left in place
after the run (deleting it would let two runs lock two different files of the same name).
Reading the database (status, export, dry runs) needs no lock: SQLite's WAL lets it read during
a run.
"""

from __future__ import annotations

import json
import os
import socket
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from collect.collector.store import utc_now
from collect.errors import MoralignError

try:
    import fcntl
except ImportError:  # Windows: no flock
    fcntl = None  # type: ignore[assignment]


class DatabaseInUseError(MoralignError):
    """Another run holds the database's lock."""

    def __init__(self, db: Path, holder: dict[str, object] | None) -> None:
        self.db = db
        self.holder = holder
        if holder:
            who = (f"process {holder.get('pid')} on host {holder.get('host')}, "
                   f"running since {holder.get('started_at')}")
        else:
            who = "a process that has just started (it has not written its details yet)"
        super().__init__(
            f"the database {db} is in use by another `moralign collect run`: {who}. "
            "Wait for that run to end or stop it, then run again; `moralign collect status` "
            "works meanwhile."
        )


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def _read_holder(path: Path) -> dict[str, object] | None:
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


@contextmanager
def run_lock(db: Path) -> Iterator[None]:
    """Hold the database's run lock for the block; DatabaseInUseError at once if it is held."""
    db = db.absolute()
    if fcntl is None:
        warnings.warn("no flock on this system: nothing stops two runs on one database",
                      stacklevel=2)
        yield
        return
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseInUseError(db, _read_holder(path)) from None
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": utc_now()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # no stale details for a run that locks it next
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
