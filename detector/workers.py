"""Worker processes: a backend run in N processes, each scoring whole batches on its own cores.

N single-threaded sessions instead of one session with N threads: whether that pays depends on
the machine and the export (docs/PERFORMANCE.md; ``python -m benchmarks.processes``).
Workers are started with ``spawn`` (safe whatever the parent imported) and each loads its
backend as it starts; a load error is kept and raised by the first call, so it reaches the
caller as the original exception instead of a respawn loop.
"""

from __future__ import annotations

import multiprocessing
import weakref
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from detector.backends import Analysis, load_backend, physical_cores
from detector.heads import Heads

_loaded: dict = {}  # this worker process's backend, or the error that loading it raised


def _load(name: str, folder: str, threads: int) -> None:
    """Pool initializer: load this worker's backend, keeping any error for the first call."""
    try:
        _loaded["backend"] = load_backend(name, folder, threads)
    except Exception as exc:  # re-raised in the caller by _backend()
        _loaded["error"] = exc


def _backend():
    if "error" in _loaded:
        raise _loaded["error"]
    return _loaded["backend"]


def _describe() -> tuple[str, dict]:
    """Return the class name and settings of this worker's backend."""
    backend = _backend()
    return type(backend).__name__, getattr(backend, "settings", {})


def _logits(batch: dict[str, np.ndarray]) -> np.ndarray:
    return _backend().logits(batch)


def _analyse(batch: dict[str, np.ndarray]) -> Analysis:
    return _backend().analyse(batch)


class WorkerPool:
    """Backend ``name`` of a model folder run in ``workers`` processes of ``threads`` each.

    ``threads`` defaults to the physical cores divided among the workers (at least 1).
    ``kind`` and ``settings`` are those of the backend the workers run; ``heads`` the folder's
    (the workers apply them; the caller reads the span threshold).
    """

    def __init__(
        self, name: str, folder: str | Path, workers: int, threads: int | None = None
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        threads = threads or max(1, physical_cores() // workers)
        self.workers = workers
        self.heads = Heads.load(folder)
        context = multiprocessing.get_context("spawn")
        self._pool = context.Pool(workers, _load, (name, str(folder), threads))
        self._finalizer = weakref.finalize(self, self._pool.terminate)
        try:
            self.kind, self.settings = self._pool.apply(_describe)
        except BaseException:
            self.close()
            raise

    def logits(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        return self._pool.apply(_logits, (batch,))

    def logits_many(self, batches: Iterable[dict[str, np.ndarray]]) -> Iterator[np.ndarray]:
        """Yield the logits of each batch in order, the batches spread over the workers."""
        yield from self._pool.imap(_logits, batches, chunksize=1)

    def analyse(self, batch: dict[str, np.ndarray]) -> Analysis:
        return self._pool.apply(_analyse, (batch,))

    def analyse_many(self, batches: Iterable[dict[str, np.ndarray]]) -> Iterator[Analysis]:
        """Yield the analysis of each batch in order, the batches spread over the workers."""
        yield from self._pool.imap(_analyse, batches, chunksize=1)

    def close(self) -> None:
        """Stop the worker processes."""
        self._finalizer()
