"""The public API: ``GarbleDetector.from_pretrained("fast").score(sentences)``."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import islice
from pathlib import Path

from detector.backends import DEFAULT_BACKEND, Analysis, Backend, TorchBackend, load_backend
from detector.boilerplate import boilerplate_flags
from detector.encoding import BatchEncoder
from detector.heads import char_spans, type_probabilities
from detector.meta import Calibration, ModelFolderError, ModelMeta, check_model_files
from detector.registry import model_folder
from detector.results import TYPES, ArticleResult, SentenceScore, Span
from detector.segment import Sentence, split_sentences
from detector.workers import WorkerPool

logger = logging.getLogger(__name__)


def _strings(items: Iterable[str], name: str) -> list[str]:
    """Return ``items`` as a list of str; a bare string or a non-string item is a TypeError."""
    if isinstance(items, str):
        raise TypeError(
            f"{name} must be a list of strings, not one string: pass [text], "
            "or score_text(text) to split an article into sentences"
        )
    out = list(items)
    for i, item in enumerate(out):
        if not isinstance(item, str):
            raise TypeError(f"{name}[{i}] is {type(item).__name__}, not str")
    return out


def _chunks(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    """Yield ``texts`` in lists of ``size``, read lazily; a bare string is a TypeError."""
    if isinstance(texts, str):
        raise TypeError("texts must be an iterable of strings, not one string")
    iterator = iter(texts)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _backend_meta(meta: ModelMeta, backend: Backend) -> ModelMeta:
    """Return ``meta`` with the calibration and threshold fitted for this backend, if any.

    An int8 ONNX export calibrated on dev (``garble-train export-onnx --calibrate-on``) carries
    its own, so that its scores and flags mean what the model's do.
    """
    own = getattr(backend, "settings", {}).get("dev_calibration")
    if not own:
        return meta
    return replace(meta, calibration=Calibration(**own["calibration"]), threshold=own["threshold"])


class SentenceAnalysis:
    """A sentence's margin (token-weighted over its windows) and, where the model has heads,
    its tokens' offsets into the sentence and span scores, and P(spinner | garbled)."""

    def __init__(self) -> None:
        self.offsets: list[tuple[int, int]] = []
        self.token_scores: list[float] = []
        self._margins = self._spinner = 0.0
        self._tokens = 0
        self._heads = False

    @property
    def margin(self) -> float:
        return self._margins / self._tokens if self._tokens else 0.0

    @property
    def spinner(self) -> float | None:
        return self._spinner / self._tokens if self._heads and self._tokens else None

    def add(self, window, margin: float, result: Analysis, row: int) -> None:
        """Fold in one window of the sentence: its encoding and row ``row`` of its batch."""
        n = len(window.ids)
        self._tokens += n
        self._margins += margin * n
        if result.spinner is None:
            return
        self._heads = True
        self._spinner += float(result.spinner[row]) * n
        scores = result.token_scores[row, :n].tolist()
        for (start, end), score in zip(window.offsets, scores, strict=True):
            if end > start:  # special tokens have no characters
                self.offsets.append((start, end))
                self.token_scores.append(score)


MAX_BATCH_TOKENS = 4096  # padded tokens per batch: bounds the activations of long sentences


def token_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Return batches of positions into ``lengths`` (sorted ascending): at most ``batch_size``
    rows, and at most MAX_BATCH_TOKENS padded tokens unless a row alone is longer."""
    batches: list[list[int]] = []
    current: list[int] = []
    for k, n in enumerate(lengths):
        if current and (len(current) == batch_size or (len(current) + 1) * n > MAX_BATCH_TOKENS):
            batches.append(current)
            current = []
        current.append(k)
    if current:
        batches.append(current)
    return batches


SCORE_CHUNK = 2048  # sentences of an article analysed at a time


def length_batches(encodings: list, batch_size: int) -> list[list[int]]:
    """Return batches of positions into ``encodings``, sorted by token count so that each is
    padded only to its own longest (see :func:`token_batches`)."""
    order = sorted(range(len(encodings)), key=lambda k: len(encodings[k].ids))
    batches = token_batches([len(encodings[k].ids) for k in order], batch_size)
    return [[order[k] for k in batch] for batch in batches]


class GarbleDetector:
    """Scores English sentences for machine-translation or article-spinner garbling."""

    def __init__(
        self, backend: Backend, encoder: BatchEncoder, meta: ModelMeta, batch_size: int = 64
    ) -> None:
        self.backend = backend
        self.encoder = encoder
        self.meta = meta
        self.batch_size = batch_size
        self.windowed = 0  # sentences longer than max_length tokens, scored in windows, so far
        self.scored = 0  # sentences scored, so far

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str | Path | None = None,
        backend: str = DEFAULT_BACKEND,
        threads: int | None = None,
        workers: int = 1,
        progress: bool = False,
        **kwargs,
    ) -> GarbleDetector:
        """Return a detector of a shipped model by name or of a model folder.

        ``name_or_path`` is ``fast``, ``lite``, ``accurate`` or a folder (default:
        ``$GARBLE_MODEL``, else ``detector.registry.DEFAULT_MODEL``). ``backend`` is ``auto``
        (default: the folder's int8 ONNX export where it has a current one, else torch, as in
        the CLI), ``torch`` (fp32 weights) or ``onnx``; ``threads`` defaults to the number of
        physical cores. ``workers`` > 1 runs the backend in that many processes (``threads``
        each, default: the cores shared among them), which pays for large inputs on few cores;
        call ``close()`` when done with it. ``progress=True`` lets transformers print its
        loading progress bars to stderr (off by default).
        """
        folder = model_folder(name_or_path)
        check_model_files(folder)
        meta = ModelMeta.load(folder)
        try:
            encoder = BatchEncoder.from_folder(folder, meta.max_length)
            if workers > 1:
                loaded = WorkerPool(backend, folder, workers, threads)
            else:
                loaded = load_backend(backend, folder, threads, progress)
        except (OSError, ValueError):
            raise
        except Exception as exc:  # tokenizers, safetensors and onnxruntime raise their own types
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            raise ModelFolderError(f"{folder}: cannot read the model files ({reason})") from exc
        return cls(loaded, encoder, _backend_meta(meta, loaded), **kwargs)

    @classmethod
    def from_model(cls, model, tokenizer, meta: ModelMeta, **kwargs) -> GarbleDetector:
        """Return a detector of an in-memory transformers model and tokenizer (training)."""
        encoder = BatchEncoder.from_transformers(tokenizer, meta.max_length)
        return cls(TorchBackend(model), encoder, meta, **kwargs)

    @property
    def model(self):
        """The PyTorch model of the torch backend (e.g. a distillation teacher)."""
        return self.backend.model

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def threshold(self) -> float:
        return self.meta.threshold

    def margins(self, sentences: list[str]) -> list[float]:
        """Return the raw logit margin (garbled minus clean) of each sentence.

        Sentences are tokenised once, sorted by token count and batched, so each batch is
        padded only to its own longest sentence. A sentence longer than ``max_length`` tokens
        is scored in consecutive windows of ``max_length`` tokens that cover all of it; its
        margin is the mean of theirs, weighted by their tokens.
        """
        return [a.margin for a in self._analyse(sentences, heads=False)]

    def analyse(self, sentences: list[str]) -> list[SentenceAnalysis]:
        """Return each sentence's margin and, where the model has heads, its token offsets
        (into the sentence), the span head's token scores and P(spinner | garbled)."""
        return self._analyse(sentences, heads=True)

    def _analyse(self, sentences: list[str], heads: bool) -> list[SentenceAnalysis]:
        sentences = _strings(sentences, "sentences")
        windows, owners, long = [], [], 0
        for i, encoding in enumerate(self.encoder.encode(sentences)):
            windows += [encoding, *encoding.overflowing]
            owners += [i] * (1 + len(encoding.overflowing))
            long += bool(encoding.overflowing)
        self._note_windowed(long, len(sentences))
        batches = length_batches(windows, self.batch_size)
        padded = (self.encoder.pad([windows[k] for k in idx]) for idx in batches)
        if heads:
            run_all = getattr(self.backend, "analyse_many", None)  # worker processes
            results = run_all(padded) if run_all else map(self.backend.analyse, padded)
        else:
            run_all = getattr(self.backend, "logits_many", None)
            logits = run_all(padded) if run_all else map(self.backend.logits, padded)
            results = (Analysis(x) for x in logits)
        out = [SentenceAnalysis() for _ in sentences]
        for idx, result in zip(batches, results, strict=True):
            margins = (result.logits[:, 1] - result.logits[:, 0]).tolist()
            for row, k in enumerate(idx):
                out[owners[k]].add(windows[k], margins[row], result, row)
        return out

    def _note_windowed(self, n: int, of: int) -> None:
        """Count sentences longer than ``max_length`` tokens (scored in windows); warn once.

        The warning counts every sentence scored so far (``score_stream`` scores chunk by
        chunk); ``windowed`` and ``scored`` keep counting after it.
        """
        self.scored += of
        if n and not self.windowed:
            logger.warning(
                "%d of the %d sentences scored so far are longer than %d tokens; each is scored "
                "in windows of %d tokens that cover all of it (warned once per model load)",
                n,
                self.scored,
                self.meta.max_length,
                self.meta.max_length,
            )
        self.windowed += n

    def close(self) -> None:
        """Stop the backend's worker processes, if it has any."""
        if close := getattr(self.backend, "close", None):
            close()

    @property
    def heads(self):
        """The model's span and type heads, or None where its folder has none."""
        return getattr(self.backend, "heads", None)

    def score(self, sentences: list[str]) -> list[float]:
        """Return the calibrated probability that each sentence is garbled."""
        return [self.meta.calibration.probability(m) for m in self.margins(sentences)]

    def score_stream(self, texts: Iterable[str], chunk_size: int = SCORE_CHUNK) -> Iterator[float]:
        """Yield the calibrated score of each text in input order, reading ``texts`` lazily.

        ``texts`` is pulled ``chunk_size`` at a time and each chunk is scored like ``score()``
        (sorted by length into batches of ``batch_size``), so memory is bounded by the chunk.
        """
        for chunk in _chunks(texts, chunk_size):
            yield from self.score(chunk)

    def analyse_stream(
        self, texts: Iterable[str], chunk_size: int = SCORE_CHUNK
    ) -> Iterator[SentenceAnalysis]:
        """Yield ``analyse()`` of each text in input order, ``chunk_size`` texts at a time."""
        for chunk in _chunks(texts, chunk_size):
            yield from self.analyse(chunk)

    def score_text(self, text: str, threshold: float | None = None) -> ArticleResult:
        """Return per-sentence scores, offsets, flags, spans and types of ``text`` and its
        summary."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        threshold = self.threshold if threshold is None else threshold
        sentences = split_sentences(text)
        analyses = self.analyse_stream(s.text for s in sentences)  # memory bounded by a chunk
        rows = [
            self.sentence_score(no, s, a, text, threshold)
            for no, (s, a) in enumerate(zip(sentences, analyses, strict=True), 1)
        ]
        for row, boilerplate in zip(rows, boilerplate_flags(text, sentences), strict=True):
            row.boilerplate = boilerplate
        return ArticleResult(rows, threshold)

    def sentence_score(
        self,
        no: int,
        sentence: Sentence,
        analysis: SentenceAnalysis,
        text: str,
        threshold: float,
    ) -> SentenceScore:
        """Return sentence number ``no`` of ``text`` scored from its analysis (``analyse()``):
        rounded score, flag at ``threshold``, spans in ``text``'s coordinates and types."""
        score = round(self.meta.calibration.probability(analysis.margin), 4)
        row = SentenceScore(
            no, sentence.start, sentence.end, sentence.text, score, score >= threshold
        )
        heads = self.heads
        if heads is None or analysis.spinner is None:
            return row
        offsets = [(sentence.start + a, sentence.start + b) for a, b in analysis.offsets]
        found = char_spans(offsets, analysis.token_scores, text, heads.span_threshold)
        row.spans = [Span(a, b, text[a:b], round(sc, 4)) for a, b, sc in found]
        row.types = type_probabilities(score, analysis.spinner)
        row.type = max(TYPES, key=lambda t: row.types[t])
        return row
