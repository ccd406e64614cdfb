"""`garble batch`: score a corpus row by row, streaming, exactly once and resumable.

One concept per module, so that another engine can reuse the pieces per block:

- ``readers``: input files, directories and globs -> a stream of ``Row`` (id, fields, error)
- ``compression``: gzip and zstd, read and written
- ``units``: ``score_rows()``, the pure map from input rows to output rows (row, sentence,
  document)
- ``writers``: JSONL and Parquet sinks that commit chunks and can be truncated to a commit
- ``checkpoint``: the journal of a run and fsync'd atomic writes
- ``run``: a run (checks, resume, checkpoint) and the local engine: read in chunks, score,
  write, commit, finalise
- ``blocks``: fixed-size blocks of a file's rows, committed one by one as parts and markers
- ``ray_engine``: the Ray engine: blocks read and scored by Ray Data actors, parts joined
- ``cli``: the ``garble batch`` arguments
"""
