"""One run at a time per output folder: two runs into one folder would mix their files.

The lock is ``fcntl.flock`` on a file in the folder holding the owner's pid. The kernel drops
it when its process dies however it dies (``kill -9`` included), so a stale lock file from a
dead run is simply taken over; a live holder makes the second run stop with a message naming
the folder and the holder's pid. Re-entrant within one process (``demo`` holds the folder and
calls ``build_report`` into it).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flowkit.errors import FlowkitError
from flowkit.safewrite import remove_stale_temporaries

__all__ = ["LOCK_FILE", "OutputFolderBusy", "output_lock"]

LOCK_FILE = ".flowkit.lock"
_HELD: dict[Path, int] = {}


class OutputFolderBusy(FlowkitError):
    """Another flowkit run is writing into the same folder."""


def _holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="ascii").strip()
    except OSError:
        return "unknown"
    return pid or "unknown"


@contextmanager
def output_lock(folder: str | Path) -> Iterator[Path]:
    """Hold ``folder`` (created if missing) for this run; raise :class:`OutputFolderBusy` if held."""
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if folder in _HELD:
        _HELD[folder] += 1
        try:
            yield folder
        finally:
            _HELD[folder] -= 1
        return
    path = folder / LOCK_FILE
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputFolderBusy(
                f"{folder}: another flowkit run (pid {_holder(path)}) is writing into this folder; "
                "wait for it to finish or choose another output folder"
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the holder removed the file between our open and our lock: lock the new one
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    _HELD[folder] = 1
    try:
        remove_stale_temporaries(folder)
        yield folder
    finally:
        del _HELD[folder]
        path.unlink(missing_ok=True)
        os.close(fd)
