"""Where the article spinner's synonyms come from.

Three sources, merged sense-blind (all senses of a word at once, as real spinners do):

* the real tortured phrases found in published papers
  (``training/resources/tortured_phrases.jsonl``), used both as whole-phrase substitutions
  and, aligned word by word, as a learned word map ("deep" -> "profound");
* WordNet, read with nltk straight from the Debian ``wordnet-base`` files;
* the mythes (OpenOffice / LibreOffice) English thesaurus.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import shutil
import tempfile
import warnings
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import ClassVar

import nltk.data
from nltk.corpus.reader.wordnet import WordNetCorpusReader

log = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
DEFAULT_TORTURED = RESOURCES / "tortured_phrases.jsonl"
WORDNET_SRC = Path("/usr/share/wordnet")
MYTHES_PATH = Path("/usr/share/mythes/th_en_US_v2.dat")

MAX_PHRASE_WORDS = 5
MAX_MULTIWORD = 3
_LOW_CONFIDENCE = {"ai_detection", "ai_detected"}
_PRENTICE_REPO = "tesolchina/smartLessons"
_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:['\u2019-][A-Za-z0-9]+)*")
_CLEAN_RE = re.compile(r"[a-z]+(?:[ -][a-z]+)*")
_ANNOTATION_RE = re.compile(r"\s*\([^)]*\)\s*$")
_MYTHES_POS = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}
_MYTHES_SKIP = ("(antonym)", "(related term)")
_ADJ_MARKER_RE = re.compile(r"\((?:a|p|ip)\)$")

# The standard WordNet 3.0 lexicographer file list; Debian's wordnet-base does not ship it.
_LEXNAMES_TEXT = (
    "adj.all 3|adj.pert 3|adv.all 4|noun.Tops 1|noun.act 1|noun.animal 1|noun.artifact 1|"
    "noun.attribute 1|noun.body 1|noun.cognition 1|noun.communication 1|noun.event 1|"
    "noun.feeling 1|noun.food 1|noun.group 1|noun.location 1|noun.motive 1|noun.object 1|"
    "noun.person 1|noun.phenomenon 1|noun.plant 1|noun.possession 1|noun.process 1|"
    "noun.quantity 1|noun.relation 1|noun.shape 1|noun.state 1|noun.substance 1|noun.time 1|"
    "verb.body 2|verb.change 2|verb.cognition 2|verb.communication 2|verb.competition 2|"
    "verb.consumption 2|verb.contact 2|verb.creation 2|verb.emotion 2|verb.motion 2|"
    "verb.perception 2|verb.possession 2|verb.social 2|verb.stative 2|verb.weather 2|adj.ppl 3"
)
LEXNAMES = tuple(_LEXNAMES_TEXT.split("|"))

_STOPWORDS_TEXT = """
    a about above after again against all also although am an and any are as at be because been
    before being below between both but by can cannot could did do does doing down during each
    either else ever few for from further had has have having he her here hers herself him
    himself his how however i if in into is it its itself just least less let like made make
    many may me might more most much must my myself neither no nor not now of off often on once
    one only or other others our ours ourselves out over own per quite rather same several
    shall she should since so some such than that the their theirs them themselves then there
    these they this those though through thus to too under until up upon us very was we were
    what when where whether which while who whom whose why will with within without would yet
    you your yours yourself yourselves
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def tokens(text: str) -> list[str]:
    """Return the lower-cased word tokens of ``text`` (same tokeniser as ``base.word_spans``)."""
    return [m.group().lower() for m in _TOKEN_RE.finditer(text)]


def phrase_key(text: str) -> str | None:
    """Return the lookup key of a phrase (lower-case tokens joined by spaces), or None.

    None when the phrase has punctuation between its words (it could never match a run of
    space-separated tokens) or more than ``MAX_PHRASE_WORDS`` words.
    """
    toks = tokens(text)
    key = " ".join(toks)
    if not toks or len(toks) > MAX_PHRASE_WORDS or key != " ".join(text.lower().split()):
        return None
    return key


def inflections(word: str) -> set[str]:
    """Return ``word`` and its crude regular inflections (-s/-es, -ed, -ing)."""
    return {word, plural(word), past(word), gerund(word)}


def plural(word: str) -> str:
    """Crude plural / third person singular: box -> boxes, city -> cities, net -> nets."""
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if len(word) > 2 and word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def past(word: str) -> str:
    """Crude past tense: create -> created, carry -> carried, go -> goed (as spinners do)."""
    if word.endswith("e"):
        return word + "d"
    if len(word) > 2 and word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ied"
    return word + "ed"


def gerund(word: str) -> str:
    """Crude -ing form: make -> making, tie -> tying, see -> seeing."""
    if word.endswith("ie"):
        return word[:-2] + "ying"
    if word.endswith("e") and not word.endswith(("ee", "ye", "oe")) and len(word) > 2:
        return word[:-1] + "ing"
    return word + "ing"


def singular(word: str) -> str | None:
    """Crude singular of a regular plural, or None when ``word`` does not look plural."""
    if len(word) < 4 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return None
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


def _cache_root() -> Path:
    """Return the writable directory holding the nltk-style data tree."""
    env = os.environ.get("GARBLE_CACHE")
    root = Path(env) / "nltk_data" if env else Path.home() / ".cache/garble-detector/nltk_data"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        root = Path(tempfile.gettempdir()) / f"garble-detector-{os.getuid()}" / "nltk_data"
        root.mkdir(parents=True, exist_ok=True)
    return root


def wordnet_dir(src: Path = WORDNET_SRC) -> Path:
    """Return ``<cache>/corpora/wordnet`` built from the Debian files (plus ``lexnames``)."""
    if not (src / "data.noun").is_file():
        raise RuntimeError(f"WordNet not found in {src}: run `apt-get install wordnet-base`")
    dst = _cache_root() / "corpora" / "wordnet"
    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.iterdir()):
        if f.is_file() and not (dst / f.name).exists():
            _copy(f, dst / f.name)
    if not (dst / "lexnames").is_file():
        lines = [f"{i:02d}\t{name}\t{pos}\n" for i, (name, pos) in _lexname_rows()]
        _atomic_write(dst / "lexnames", "".join(lines))
    return dst


def _lexname_rows() -> Iterable[tuple[int, tuple[str, str]]]:
    return enumerate(tuple(entry.split()) for entry in LEXNAMES)


def _copy(src: Path, dst: Path) -> None:
    # A copy, not a symlink: nltk's path sandbox resolves links and refuses targets outside
    # its data roots.
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def load_wordnet(src: Path = WORDNET_SRC) -> WordNetCorpusReader:
    """Return an nltk WordNet reader over the Debian files (no ``nltk.download`` needed)."""
    root = wordnet_dir(src)
    data_root = str(root.parent.parent)
    if data_root not in nltk.data.path:
        nltk.data.path.append(data_root)  # nltk only opens files under its data roots
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "multilingual functions are not available"
        return WordNetCorpusReader(str(root), None)


class WordNetIndex:
    """Fast WordNet synonym lookup: lemma -> synset offsets -> lemma names, read at load.

    nltk builds a full Synset object per lookup (about 0.5 ms each); spinning needs only the
    lemma names, so the data files are read once into plain tuples.
    """

    _FILES: ClassVar[dict[str, str]] = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}

    def __init__(self, root: Path) -> None:
        self._offsets: dict[str, dict[str, tuple[int, ...]]] = defaultdict(dict)
        self._names: dict[tuple[str, int], tuple[str, ...]] = {}
        for pos, name in self._FILES.items():
            self._read_index(root / f"index.{name}", pos)
            self._read_data(root / f"data.{name}", pos)

    def _read_index(self, path: Path, pos: str) -> None:
        with path.open(encoding="utf-8") as f:
            for line in f:
                if not line.startswith(" "):
                    parts = line.split()
                    count = int(parts[2])
                    self._offsets[parts[0]][pos] = tuple(int(x) for x in parts[-count:])

    def _read_data(self, path: Path, pos: str) -> None:
        with path.open(encoding="utf-8") as f:
            for line in f:
                if not line.startswith(" "):
                    parts = line.split(" ", 4 + 2 * 255)
                    words = parts[4 : 4 + 2 * int(parts[3], 16) : 2]
                    self._names[pos, int(parts[0])] = tuple(
                        _ADJ_MARKER_RE.sub("", w) for w in words
                    )

    def synonyms(self, lemma: str, pos: str | None = None) -> set[str]:
        """Return the lemma names (spaces, not underscores) of every synset of ``lemma``."""
        out: set[str] = set()
        for p, offsets in self._offsets.get(lemma.replace(" ", "_"), {}).items():
            if pos is None or p == pos:
                for off in offsets:
                    out.update(n.replace("_", " ") for n in self._names.get((p, off), ()))
        return out

    def lemma_names(self) -> Iterable[str]:
        """Return every lemma (underscores between words, as in the WordNet files)."""
        return self._offsets.keys()


def read_mythes(path: Path = MYTHES_PATH) -> dict[str, list[str]]:
    """Return lower-case headword -> its raw sense lines ("(noun)|syn|syn (generic term)|...")."""
    raw = path.read_bytes()
    first, _, body = raw.partition(b"\n")
    lines = body.decode(first.decode("ascii").strip() or "utf-8", errors="replace").split("\n")
    out: dict[str, list[str]] = {}
    i = 0
    while i < len(lines):
        head, _, count = lines[i].rpartition("|")
        n = int(count) if count.isdigit() else 0
        if head and head == head.lower():
            out[head] = lines[i + 1 : i + 1 + n]
        i += 1 + n
    return out


def _mythes_synonyms(sense_lines: list[str], pos: str | None) -> list[str]:
    out: list[str] = []
    for line in sense_lines:
        tag, *syns = line.split("|")
        if pos is not None and _MYTHES_POS.get(tag.strip("()")) != pos:
            continue
        out.extend(_ANNOTATION_RE.sub("", s) for s in syns if not s.endswith(_MYTHES_SKIP))
    return out


def read_tortured(path: Path) -> list[dict]:
    """Return the rows of a (slim) tortured-phrases JSONL file."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def slim_tortured_phrases(src: Path, dst: Path) -> int:
    """Write the slim resource copy of ``shared/data/tortured_phrases.jsonl``; return rows kept.

    Keeps ``tortured, expected, num_papers, source``; drops "???" and low-confidence
    (paperguard ai_detection / ai_detected) rows.
    """
    kept = []
    for row in read_tortured(src):
        source = row.get("paperguard_source") or (
            "prentice_kinden_2018" if row.get("origin_repo") == _PRENTICE_REPO else "pps"
        )
        if row["expected"].strip() == "???" or source in _LOW_CONFIDENCE:
            continue
        keep = ("tortured", "expected", "num_papers")
        kept.append({**{k: row[k] for k in keep}, "source": source})
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept)
    _atomic_write(dst, text)
    return len(kept)


def _tortured_case(phrase: str) -> str:
    """Return the phrase lower-cased, unless it holds an acronym (upper case past the first)."""
    return phrase if any(c.isupper() for c in phrase[1:]) else phrase.lower()


def phrases_from_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Return expected-phrase key -> sorted tortured phrases, from (tortured, expected) pairs."""
    out: dict[str, set[str]] = defaultdict(set)
    for tortured, expected in pairs:
        key = phrase_key(expected)
        bad = key is None or not tortured.strip() or key in tortured.lower()
        bad = bad or all(w in STOPWORDS for w in key.split())  # "by", "an": parse debris
        if not bad:
            out[key].add(_tortured_case(" ".join(tortured.split())))
    return {k: sorted(v) for k, v in sorted(out.items())}


def learn_word_map(phrases: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Align equal-length (expected, tortured) phrases word by word; return word -> spins.

    E.g. "deep neural network" / "profound neural organization" gives "deep" -> "profound" and
    "network" -> "organization". Plurals also give their crude singular pair.
    """
    out: dict[str, set[str]] = defaultdict(set)
    for expected, spins in phrases.items():
        ewords = expected.split()
        for spin in (s for s in spins if len(s.split()) == len(ewords)):
            for e, t in zip(ewords, spin.split(), strict=True):
                if _learnable(e, t):
                    out[e].add(t)
                    es, ts = singular(e), singular(t)
                    if es and ts and _learnable(es, ts):
                        out[es].add(ts)
    return {k: sorted(v) for k, v in sorted(out.items())}


def _learnable(e: str, t: str) -> bool:
    words_ok = e.isalpha() and t.isalpha() and t == t.lower() and min(len(e), len(t)) >= 3
    return words_ok and e != t and e not in STOPWORDS and t not in STOPWORDS


class Thesaurus:
    """Sense-blind synonyms for words and multiword terms, plus real tortured phrases.

    Build it with :meth:`load` (real resources, cached) or :meth:`from_dicts` (in memory).
    """

    def __init__(
        self,
        phrases: Mapping[str, list[str]],
        words: Mapping[str, list[str]] | None = None,
        mythes: Mapping[str, list[str]] | None = None,
        wordnet: WordNetCorpusReader | None = None,
        wordnet_index: WordNetIndex | None = None,
    ) -> None:
        self._phrases = {k: list(v) for k, v in phrases.items()}
        merged: dict[str, set[str]] = defaultdict(set)
        for source in (learn_word_map(self._phrases), words or {}):
            for k, v in source.items():
                merged[k.lower()].update(v)
        self._words = {k: sorted(v) for k, v in merged.items()}
        self._mythes = dict(mythes or {})
        self._wordnet = wordnet  # for morphy (base forms)
        self._wn_index = wordnet_index  # for synonyms
        self._multiword = self._collect_multiword()
        self._cache: dict[tuple[str, str | None], list[str]] = {}

    @classmethod
    def from_dicts(
        cls,
        phrases: Mapping[str, list[str]] | None = None,
        words: Mapping[str, list[str]] | None = None,
    ) -> Thesaurus:
        """Return a file-free thesaurus: ``phrases`` expected -> tortured, ``words`` -> synonyms."""
        pairs = [(t, e) for e, ts in (phrases or {}).items() for t in ts]
        return cls(phrases_from_pairs(pairs), words)

    @classmethod
    def load(
        cls,
        tortured_path: Path | None = None,
        use_wordnet: bool = True,
        use_mythes: bool = True,
    ) -> Thesaurus:
        """Return the thesaurus over the real resources (cached: repeated loads are free).

        Raises RuntimeError when ``use_wordnet`` and /usr/share/wordnet is missing; a missing
        mythes file is skipped with a warning.
        """
        path = Path(tortured_path or DEFAULT_TORTURED).resolve()
        return _load_cached(path, use_wordnet, use_mythes)

    def phrase_substitutes(self) -> dict[str, list[str]]:
        """Return lower-cased expected phrase -> its real tortured phrases."""
        return self._phrases

    def is_multiword(self, term: str) -> bool:
        """Return whether ``term`` (lower case, space-separated) is a known multiword term."""
        return term in self._multiword

    def synonyms(self, word: str, pos: str | None = None) -> list[str]:
        """Return sorted lower-case synonyms of ``word`` over all its senses (all sources).

        ``pos`` is a WordNet POS letter (n, v, a, r) or None for all. Multiword synonyms come as
        "a b". The word itself, its crude inflections and synonyms containing it are left out.
        """
        key = (word.lower(), pos)
        if key not in self._cache:
            self._cache[key] = self._compute_synonyms(*key)
        return self._cache[key]

    def lemmas(self, word: str) -> list[tuple[str, str]]:
        """Return (base form, POS letter) pairs for an inflected ``word`` ("networks": network, n).

        Uses WordNet's morphy for nouns and verbs, plus a crude plural rule over known words.
        """
        word = word.lower()
        out: set[tuple[str, str]] = set()
        if self._wordnet is not None:
            for pos in ("n", "v"):
                base = self._wordnet.morphy(word, pos)
                if base and base != word:
                    out.add((base, pos))
        base = singular(word)
        if base and base in self._words:
            out.add((base, "n"))
        return sorted(out)

    def _compute_synonyms(self, word: str, pos: str | None) -> list[str]:
        found = set(self._words.get(word, []))
        if word in self._mythes:
            found.update(_mythes_synonyms(self._mythes[word], pos))
        if self._wn_index is not None:
            found.update(self._wn_index.synonyms(word, pos))
        return sorted(s for s in found if _usable_synonym(word, s))

    def _collect_multiword(self) -> frozenset[str]:
        terms = set(self._mythes) | set(self._words)
        if self._wn_index is not None:
            terms.update(n.replace("_", " ") for n in self._wn_index.lemma_names())
        return frozenset(t for t in terms if _multiword_ok(t))


def _multiword_ok(term: str) -> bool:
    words = term.split(" ")
    ok_len = 2 <= len(words) <= MAX_MULTIWORD
    return ok_len and words[0] not in STOPWORDS and bool(_CLEAN_RE.fullmatch(term))


def _usable_synonym(word: str, syn: str) -> bool:
    if not _CLEAN_RE.fullmatch(syn) or len(syn.split()) > MAX_MULTIWORD:
        return False
    if syn in inflections(word) or word in inflections(syn):
        return False
    return word not in syn.split()


@functools.lru_cache(maxsize=8)
def _load_cached(path: Path, use_wordnet: bool, use_mythes: bool) -> Thesaurus:
    rows = read_tortured(path)
    phrases = phrases_from_pairs((r["tortured"], r["expected"]) for r in rows)
    mythes: dict[str, list[str]] = {}
    if use_mythes and MYTHES_PATH.is_file():
        mythes = read_mythes(MYTHES_PATH)
    elif use_mythes:
        log.warning("mythes thesaurus %s not found; spinning without it", MYTHES_PATH)
    if not use_wordnet:
        return Thesaurus(phrases, mythes=mythes)
    wordnet = load_wordnet()
    index = WordNetIndex(wordnet_dir())
    return Thesaurus(phrases, mythes=mythes, wordnet=wordnet, wordnet_index=index)
