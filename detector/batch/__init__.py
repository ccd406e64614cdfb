"""`garble batch`: score a corpus row by row, streaming, exactly once and resumable.

One concept per module, so that another engine can reuse the pieces per block:

- ``readers``: input files, directories and globs -> a stream of ``Row`` (id, fields, error)
- ``compression``: gzip and zstd, read and written
- ``units``: ``score_rows()``, the pure map from input rows to output rows (row, sentence,
  document)
- ``writers``: JSONL and Parquet sinks that commit chunks and can be truncated to a commit
- ``checkpoint``: the journal of a run and fsync'd atomic writes
- ``run``: the local engine: read in chunks, score, write, commit, resume, finalise
- ``cli``: the ``garble batch`` arguments
"""
