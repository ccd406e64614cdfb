"""One ``garble batch`` run per output: an exclusive lock held while the run writes it."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from detector.textio import InputError


def lock_path(output: Path) -> Path:
    """Return the lock file of the output ``output`` (beside it, removed when the run ends)."""
    return output.with_name(output.name + ".lock")


@contextmanager
def output_lock(output: Path) -> Iterator[None]:
    """Hold the lock of ``output`` for the block; refuse if another run holds it.

    The lock is ``flock`` on a file beside the output: the kernel releases it when its holder
    dies, so a run killed with SIGKILL leaves no stale lock.
    """
    path = lock_path(output)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise InputError(f"{output}: cannot write there ({exc.strerror})") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(
                f"{output}: another garble batch run is writing it (lock {path}); "
                "wait for it to end"
            ) from None
        if not _same_file(path, fd):  # the previous holder removed it while we waited
            raise InputError(f"{output}: another garble batch run has just started writing it")
        try:
            yield
        finally:
            os.unlink(path)
    finally:
        os.close(fd)


def _same_file(path: Path, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False
