"""The Ray engine of ``garble batch``: the same job on Ray Data, committed block by block.

Ray tasks read the input files with the local engine's readers (same row ids, fields, error
rows and compression) and cut them into blocks of ``--chunk-size`` rows (see ``blocks``). A pool
of ``--workers`` actors, one CPU and one model each, scores every block with ``score_rows`` and
commits it: its output parts, then its marker. Blocks finish in any order; each output is its
parts joined in input order, so it holds the local engine's rows in the local engine's order.
``--resume`` skips the files whose blocks are all done and the done blocks of the others.

Workers write into the ``.partial`` folders next to the outputs, so on a cluster the outputs
(and inputs and model) must be on storage that every node sees under the same path.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
import warnings
from collections.abc import Container, Iterator
from contextlib import closing, contextmanager, redirect_stdout
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import ClassVar

from detector.batch.blocks import BlockStore, check_finished, finished_files, read_blocks
from detector.batch.run import BatchJob, Run, ScorerLoader, progress_bar
from detector.batch.units import ScoreOptions, score_rows
from detector.batch.writers import open_sink
from detector.textio import InputError

logger = logging.getLogger(__name__)

RAY_MISSING = "--engine ray needs Ray: pip install 'garble-detector[ray]'"
ACTOR_CPUS = 1  # CPUs an actor reserves, and the threads its model runs on


def import_ray() -> ModuleType:
    """Return the ``ray`` module with Ray Data loaded, or raise a one-line ``InputError``."""
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise InputError(RAY_MISSING) from exc
    return ray


@contextmanager
def connected(address: str | None, workers: int) -> Iterator[ModuleType]:
    """Yield ``ray`` connected to a cluster, or to a new local instance for ``workers`` actors.

    The cluster is at ``address``, else at ``RAY_ADDRESS`` if set. A Ray that is already
    initialised (a test, a notebook) is used as it is and left running. Ray Data logs at the
    level of this process (the CLI: warnings, or information with -v). While connected,
    stdout goes to stderr: Ray's driver prints the errors the cluster reports there (such as
    a late one about the actors of an interrupted run), and results never go to stdout.
    """
    ray = import_ray()
    logging.getLogger("ray.data").setLevel(logging.getLogger().getEffectiveLevel())
    with redirect_stdout(sys.stderr):
        if ray.is_initialized():
            yield ray
            return
        cluster = address or os.environ.get("RAY_ADDRESS")
        cpus = {} if cluster else {"num_cpus": max(workers, os.cpu_count() or 1)}
        ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING, **cpus)
        try:
            yield ray
        finally:
            ray.shutdown()


@contextmanager
def _one_block_per_item(ray: ModuleType) -> Iterator[None]:
    """Make every item a Ray block of its own, so idle actors take the next block of rows.

    Ray Data's own progress bars are off (``garble batch`` has its own), and so is its warning
    that fewer input files than actors leave actors idle: each file gives many blocks.
    """
    context = ray.data.DataContext.get_current()
    saved = context.target_max_block_size, context.enable_progress_bars
    context.target_max_block_size, context.enable_progress_bars = 1, False
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "The minimum number of concurrent actors")
            yield
    finally:
        context.target_max_block_size, context.enable_progress_bars = saved


def read_file(
    item: dict,
    files: list[tuple[str, str]],
    size: int,
    text_field: str,
    skip: dict[int, Container[int]],
) -> Iterator[dict]:
    """Yield the blocks still to do of input file number ``item["file"]``, pickled.

    ``files`` holds each file's absolute path and its name as given. A file that cannot be
    read yields its error instead.
    """
    file = int(item["file"])
    path, name = files[file]
    try:
        for block in read_blocks(Path(path), name, file, size, text_field, skip.get(file, ())):
            yield {"block": pickle.dumps(block), "error": ""}
    except InputError as exc:
        yield {"block": b"", "error": str(exc)}


class BlockScorer:
    """A Ray actor: loads the model once, then scores and commits the blocks it is given."""

    def __init__(self, load_scorer: ScorerLoader, opts: ScoreOptions, store: BlockStore) -> None:
        self.scorer = load_scorer(threads=ACTOR_CPUS)
        self.opts = opts
        self.store = store

    def _commit(self, data: bytes) -> tuple[int, str]:
        block = pickle.loads(data)
        try:
            self.store.commit(block, score_rows(self.scorer, block.rows, self.opts), self.opts)
        except InputError as exc:
            return 0, str(exc)
        return len(block.rows), ""

    def __call__(self, batch: dict) -> dict:
        """Commit each block of ``batch``; return the input rows and error of each."""
        results = [
            self._commit(data) if not error else (0, error)
            for data, error in zip(batch["block"], batch["error"], strict=True)
        ]
        return {"rows_in": [n for n, _ in results], "error": [e for _, e in results]}


def _worker_env() -> dict[str, str]:
    """Return the environment of the actors: transformers as quiet as here unless verbose."""
    if logger.isEnabledFor(logging.INFO):
        return {}
    return {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "error"}


def _skip(done: list[dict]) -> dict[int, set[int]]:
    """Return the done blocks of each input file."""
    skip: dict[int, set[int]] = {}
    for marker in done:
        skip.setdefault(marker["file"], set()).add(marker["block"])
    return skip


@dataclass(frozen=True)
class RayEngine:
    """Runs a job on Ray: ``workers`` actors on the cluster at ``address`` (None: local)."""

    workers: int = 1
    address: str | None = None
    name: ClassVar[str] = "ray"

    def fingerprint(self, job: BatchJob) -> dict:
        """The engine and the block size: done blocks must keep their rows."""
        return {"engine": self.name, "block_rows": job.chunk_size}

    def stream(self, run: Run) -> None:
        """Score and commit every block not yet done; record the totals in ``run.cp``."""
        run.cp.save(run.path)  # from now on an interrupted run is one to resume
        store = _store(run)
        try:
            with connected(self.address, self.workers) as ray, _one_block_per_item(ray):
                self._score(ray, run, store, store.done())
        except InputError:
            if not store.done():
                run.path.unlink()
            raise
        done = store.done()
        check_finished(done, len(run.files), "pass --resume to score them")
        run.cp.rows_in = sum(m["rows_in"] for m in done)
        run.cp.sinks = {
            route: {"rows": sum(m["rows"][route] for m in done)} for route in store.sinks
        }
        run.cp.counts = {name: sum(m[name] for m in done) for name in ("flagged", "errors")}

    def _score(self, ray: ModuleType, run: Run, store: BlockStore, done: list[dict]) -> None:
        finished = finished_files(done)
        pending = [{"file": i} for i in range(len(run.files)) if i not in finished]
        logger.info("%d of %d input files to score on Ray", len(pending), len(run.files))
        if not pending:
            return
        read = partial(
            read_file,
            files=[(str(f.resolve()), str(f)) for f in run.files],
            size=run.job.chunk_size,
            text_field=run.opts.text_field,
            skip=_skip(done),
        )
        readers = ray.data.TaskPoolStrategy(size=min(self.workers, len(pending)))
        blocks = ray.data.from_items(pending).flat_map(read, num_cpus=0, compute=readers)
        results = blocks.map_batches(
            BlockScorer,
            fn_constructor_args=(run.load_scorer, run.opts, store),
            batch_size=1,
            num_cpus=ACTOR_CPUS,
            compute=ray.data.ActorPoolStrategy(size=self.workers),
            runtime_env={"env_vars": _worker_env()},
        )
        rows_done = sum(m["rows_in"] for m in done)
        with progress_bar(run, rows_done) as bar, closing(iter(results.iter_rows())) as stream:
            for result in stream:  # closing it stops the actors, also on an error
                if result["error"]:
                    raise InputError(result["error"])
                bar.update(int(result["rows_in"]))

    def finalize(self, run: Run) -> None:
        """Join each output's parts in input order (the main output, with the markers, last)."""
        store = _store(run)
        done = store.done()
        check_finished(done, len(run.files), "pass --overwrite to start over")
        for route, sink in store.sinks.items():
            if sink.folder.exists():
                store.join(route, done)


def _store(run: Run) -> BlockStore:
    """Return the block store of ``run``, with absolute paths (workers may run elsewhere)."""
    types = run.opts.added_types()
    return BlockStore({route: open_sink(t.resolve(), types) for route, t in run.job.routes()})
