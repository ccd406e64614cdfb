"""Web boilerplate: which sentences of a text are page furniture rather than the article.

Menus, share and comment prompts, notification and cookie prompts, bylines, datelines, photo
captions and credits, tags, "Related posts" and "Read more" links, copyright lines and
advertisement markers are scored like any sentence but left out of the article figures
(``detector.verdict``). For HTML, trafilatura (``detector.textio``) already drops most of them
with the page structure; these rules apply to what remains, and to plain text, the main case.

A sentence is boilerplate when it matches one of the rules of ``RULES`` (after its whitespace
is collapsed and a trailing ``:``, ``»``, ``→`` or ``…`` is dropped). Rules match the
whole sentence, never a word inside it, so an ordinary sentence that mentions cookies or photos
is not marked. Rules for short ambiguous lines (a byline "By Jane Doe", a date, a menu word such
as "Home", a list of menu items) apply only to a sentence that is a line of its own in the
text. Two rules use the neighbouring sentences:

- a button or network label ("OK", "No thanks", "Accept", "Twitter", "Facebook") on its own is
  boilerplate when the sentence before or after it is (the buttons of a notification or cookie
  prompt, the networks under "Share this:"); two labels or more together always are;
- a line that ends in a photo credit ("... on Tuesday. (AP Photo/John Reed)") is a caption: the
  one or two sentences before the credit on that line are boilerplate too.

Besides ``RULES``, a line of its own made only of section names ("Local News") or of short
items between separators ("Home | News | Sport") is navigation. Sentences over ``MAX_CHARS``
characters are never boilerplate. Nothing here looks at the model's scores; ``classify`` names
the rule behind each mark, and ``docs/OUTPUT.md`` lists the rules with examples.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from detector.segment import Sentence

# ---- vocabularies -------------------------------------------------------------------------


def _alternatives(words: str) -> str:
    """Return a regex alternation of the ``|``-separated ``words``, longest first (so that a
    possessive list never settles for a shorter label: "accept all" before "accept")."""
    return "|".join(sorted(words.split("|"), key=len, reverse=True))


# Patterns that repeat (lists of labels, names, date words) use possessive quantifiers
# (``*+``, ``++``): a sentence that almost matches fails in linear time, never by trying
# every way to split it.
_NETWORKS = _alternatives(
    "twitter|x|facebook|linkedin|whatsapp|reddit|pinterest|tumblr|telegram|instagram|youtube"
    "|tiktok|threads|bluesky|mastodon|messenger|flipboard|pocket|e-?mail|sms|print|copy link"
    "|more|tweet|share|pin it|pin"
)
_BUTTONS = _alternatives(
    "ok|okay|accept|accept all|accept cookies|i accept|agree|i agree|reject|reject all|decline"
    "|no thanks|no, thanks|not now|later|maybe later|allow|block|close|dismiss|cancel|got it"
    "|continue|learn more|more info|manage preferences|manage settings|manage options"
    "|manage cookies|settings|customise|customize|subscribe|sign up|x|\u00d7|\u2715"
)
_SEP = r"[\s,|·•/]*+"
# A line of labels only: buttons of a prompt, or the networks of a share box.
_LABELS = re.compile(rf"(?:(?:{_BUTTONS}|{_NETWORKS})(?!\w){_SEP})++", re.IGNORECASE)
_LABEL = re.compile(rf"\b(?:{_BUTTONS}|{_NETWORKS})\b", re.IGNORECASE)

# Section names of news sites: a line made only of these is a menu or a section label.
_SECTIONS = """home news sport sports business politics opinion opinions culture arts lifestyle
    entertainment tech technology science health travel weather world local national
    international us uk europe video videos podcast podcasts live latest top stories more about
    contact subscribe login register search menu blog shop events jobs careers faq help
    newsletter newsletters games puzzles crossword obituaries food money markets economy
    education environment climate magazine photos gallery features reviews books music film tv
    media & and"""
_NAV_WORDS = frozenset(_SECTIONS.split())
_MENU_SEP = re.compile(r"\s*(?:\||•|·|»|\u203a|::|\s>\s|\s/\s)\s*")

_MONTH = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DAY = (
    r"mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?"
    r"|sun(?:day)?"
)
_ZONE = r"gmt|utc|bst|cet|cest|est|edt|cst|cdt|pst|pdt|mst|mdt|et|pt|ist|aest|aedt|jst"
_DATE_TOKEN = (
    rf"(?:{_MONTH}|{_DAY})\.?|\d{{1,4}}(?:st|nd|rd|th)?|\d{{1,2}}[:.]\d{{2}}(?::\d{{2}})?"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}(?:t[\d:.]+z?)?|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|[ap]\.?m\.?|{_ZONE}"
    r"|at|on|of|the|ago|mins?|minutes?|hours?|hrs?|days?|weeks?|months?|years?|yesterday|today"
    r"|just now|an?"
)
# Only date and time words (a rule using it also needs a digit or a month name: _HAS_DATE).
_DATE = rf"(?:(?:{_DATE_TOKEN})\b[\s,.:/|–—-]*+)++"  # noqa: RUF001
_HAS_DATE = re.compile(rf"\d|\b(?:{_MONTH})\b", re.IGNORECASE)
_BY_ANYONE = r"(?:\s*[|,–—-]?\s*by\s+[\w.@'’-]+(?:\s+[\w.'’-]+){0,3})?"  # noqa: RUF001

# Names in a byline: capitalised words and initials, with the particles of names.
_NAME = r"[A-Z][\w'\u2019-]*+\.?"
_PARTICLE = r"van|von|de|del|da|der|bin|al|la|le|and|&"
_NAMES = rf"{_NAME}(?:,? (?:{_NAME}|{_PARTICLE}|in)(?!\w))*+"
_CREDIT = (
    r"(?i:(?:additional )?reporting|writing|editing|edited|compiled|written|words|text"
    r"|graphics?|video|story|author)(?: (?i:by)|:)"
)

# ---- the rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A kind of boilerplate: a pattern the whole (normalised) sentence must match.

    ``own_line``: the rule applies only to a sentence that is a line of its own in the text.
    ``hints``: one of these must occur in the lowercased sentence (a quick test run first);
    ``also``: a pattern that must occur in it too.
    """

    name: str
    pattern: re.Pattern
    own_line: bool = False
    hints: tuple[str, ...] = ()
    also: re.Pattern | None = None

    def matches(self, text: str, lower: str, own_line: bool) -> bool:
        """Return True if ``text`` (``lower``: lowercased) falls under this rule."""
        if self.own_line and not own_line:
            return False
        if self.hints and not any(hint in lower for hint in self.hints):
            return False
        if not self.pattern.fullmatch(text):
            return False
        return self.also is None or bool(self.also.search(text))


def _rule(name: str, pattern: str, case: bool = False, **kwargs) -> Rule:
    return Rule(name, re.compile(pattern, 0 if case else re.IGNORECASE), **kwargs)


RULES: tuple[Rule, ...] = (
    # Share and follow prompts.
    _rule(
        "share",
        rf"(?:share|tweet|email|e-mail|print|post)(?: this| it)?"
        rf"(?: (?:article|story|post|page|link|on|via|with|to))*"
        rf"\s*+[:!]?(?:\s*+(?:{_NETWORKS})(?!\w)(?: \(opens in (?:a )?new window\))?{_SEP})*+",
    ),
    _rule(
        "share",
        r"click (?:here )?to (?:share|email|e-mail|print|tweet|pin|save|enlarge|expand"
        r"|subscribe|comment|copy)\b.*",
    ),
    _rule(
        "share",
        rf"(?:follow|like|find|join|connect with) (?:us|me)(?: on (?:{_NETWORKS})"
        rf"(?:(?:,| and| &| or) (?:{_NETWORKS})(?!\w))*+)?(?: for [^.!?]{{0,60}})?[.!]?",
    ),
    # Comment forms.
    _rule(
        "comments",
        r"(?:leave|post|add|write) (?:a|your) (?:reply|comment|response)(?: to [^.!?]{0,80})?"
        r"|\d+ (?:comments?|replies|responses)|no comments(?: yet)?\.?|comments?(?: \(\d+\))?"
        r"|(?:view|show|read|see|load)(?: all)?(?: \d+)? comments"
        r"|join the (?:conversation|discussion)"
        r"|cancel reply|reply|comments are closed\.?|be the first to comment\.?"
        r"|(?:you must be )?logged in to post a comment\.?|log in to (?:reply|comment)"
        r"|your email address will not be published\.?|required fields are marked \*?\.?"
        r"|save my name, email, and website in this browser for the next time i comment\.?"
        r"|notify me of (?:follow-up comments|new posts|new comments)(?: by email| via email)?\.?"
        r"|comment policy|(?:the )?comments below have not been moderated\.?",
    ),
    # Notification prompts (with their buttons on the same line).
    _rule(
        "notification",
        r"(?:enable|allow|turn on|get|receive|activate)"
        r" (?:push |browser |desktop |breaking news )?"
        rf"(?:notifications|alerts)(?:{_SEP}(?:{_BUTTONS})(?!\w))*+[.!]?",
    ),
    _rule(
        "notification",
        r"(?:(?:would you like|do you want) to|we'?d like to|we would like to|click allow to)"
        r" (?:receive|get|enable|turn on|allow|send you|show you)\b[^.!?]{0,80}"
        r"\b(?:notifications|alerts|updates)\b.*",
    ),
    # Cookie prompts: a sentence of a site about its own cookies.
    _rule(
        "cookies",
        r"(?:[\w!,' ]{0,40}?\b)?(?:we|this (?:web)?site|our (?:web)?site|this page)"
        r"(?: and our (?:partners|advertisers))? uses? cookies"
        r"(?:[.!]?|(?: and [\w ]{1,40}?)? (?:to|on|so|for|in order|that|which)\b.*)",
        hints=("cookie",),
    ),
    _rule(
        "cookies",
        r"(?:manage |change |update )?(?:cookie|privacy)"
        r" (?:settings|preferences|policy|notice|consent)"
        r"|(?:accept|reject|allow|block) (?:all |non-essential |optional )?cookies"
        r"|by (?:continuing to (?:use|browse)|using) (?:this|our) (?:web)?site\b.*"
        r"\b(?:agree|accept|consent)\b.*",
        hints=("cookie", "privacy", "by continuing", "by using"),
    ),
    # Newsletter and subscription prompts.
    _rule(
        "newsletter",
        r"(?:sign up|subscribe|register|join)(?: now| today| here| for free| free)?"
        r"(?: (?:to|for) (?:our|the|my|a)\b[^.!?]{0,40}?\b(?:newsletters?|updates|e-?mails?"
        r"|alerts|mailing list|digest|briefing|channel|podcast)\b[^.!?]{0,60})?[.!]?"
        r"|get [^.!?]{0,50}\b(?:delivered )?(?:straight |directly |right )?to your inbox\b.*"
        r"|enter your e-?mail(?: address)?\b.*|already (?:a subscriber|have an account)\?.*"
        r"|(?:free )?newsletter sign-?up",
    ),
    # Bylines and datelines.
    _rule(
        "byline",
        rf"(?![^\n]*\.$)(?i:by):? (?:{_NAME}|admin|staff|editor)"
        rf"(?: (?:{_NAME}|{_PARTICLE})(?!\w))*+"
        r"(?:\s*[,|–—-]\s*[^.!?]{0,60})?",  # noqa: RUF001
        own_line=True,
        case=True,
    ),
    _rule(
        "byline",
        rf"{_CREDIT} {_NAMES}(?:\s*[;,]\s*{_CREDIT} {_NAMES})*\.?",
        own_line=True,
        case=True,
    ),
    _rule(
        "dateline",
        rf"(?:(?:posted|published|updated|last updated|last modified|modified|first published"
        rf"|created|date)(?: on| at)?:?\s*)?{_DATE}{_BY_ANYONE}",
        own_line=True,
        also=_HAS_DATE,
    ),
    _rule(
        "dateline",
        rf"(?:posted|published|updated|last updated|last modified|first published)(?: on| at)?:?"
        rf"\s*{_DATE}{_BY_ANYONE}",
        also=_HAS_DATE,
    ),
    _rule("dateline", r"\d{1,3}[- ]?(?:min|minute)s?(?: read)?|reading time:? .{1,20}"),
    # Photo captions and credits.
    _rule(
        "caption",
        r"(?:photo|photograph|image|picture|pic|video|graphic|illustration|credit|caption"
        r"|file photo|main image|top image)s?(?: credits?| by| courtesy(?: of)?| source)?"
        r"\s*[:|]\s*.+"
        r"|(?:photo|photograph|image|picture)s?(?: by| courtesy of| credit) [^.!?]{1,60}"
        r"|[^.!?]{0,60}/(?:getty images|afp|reuters|ap|epa|shutterstock|alamy|pa|bloomberg"
        r"|anadolu|xinhua|sipa)(?: via [^.!?]{1,30})?",
        hints=(
            "photo",
            "image",
            "pic",
            "video",
            "graphic",
            "illustration",
            "credit",
            "caption",
            "/",
        ),
    ),
    _rule(
        "caption",
        r"[^()\[\]]{0,300}+[(\[](?!(?:see|cf|in|the|a|an|this|top|bottom|left|right)\b)"
        r"(?:[\w.&-]+ ){0,3}(?:photo|photograph|image|picture|illustration)s?"
        r"(?:\s*[:/]\s*[^()\[\]]+| (?:by|courtesy(?: of)?|credit:?) [^()\[\]]+)?[)\]]\.?",
        hints=("photo", "image", "picture", "illustration"),
    ),
    # Tags and categories.
    _rule(
        "tags",
        r"(?:tags?|tagged(?: with| in| as)?|filed (?:under|in)|categor(?:y|ies)|topics?|labels?"
        r"|keywords|posted in|related topics|related tags|more on)\s*:\s*.+",
    ),
    _rule("tags", r"(?:tagged|filed under|posted in)\s+[^.!?]{1,80}", own_line=True),
    # Links to other articles.
    _rule(
        "related",
        r"(?:related(?: posts?| articles?| stories| story| content| coverage| links| reading"
        r"| news)?|read more|read next|read also|also read|more (?:stories|news|from [^.!?]{1,40}"
        r"|on this(?: story)?|like this)|see also|recommended(?: for you| stories| articles)?"
        r"|you (?:may|might) also like|most (?:read|popular|viewed|shared|commented)"
        r"|trending(?: now| stories)?|continue reading|read the full (?:story|article)"
        r"|keep reading|further reading|(?:next|previous) (?:article|post|story)|editor'?s picks"
        r"|top stories|latest (?:news|stories|posts)|popular posts|recent posts|must read)"
        r"(?:\s*[:|»\u203a→-]\s*.+)?",
    ),
    _rule("related", r"(?:watch|listen|more|next|previous|prev)\s*[:»\u203a→]\s*.+"),
    # Copyright lines.
    _rule(
        "copyright",
        r"(?:©|\(c\)\s*\d{4}|copyright\s*(?:©|\(c\)|\d{4})).*|all rights reserved\.?"
        r"|this material may not be published, broadcast, rewritten,? or redistributed\.?",
    ),
    # Advertisement markers.
    _rule(
        "advertisement",
        r"advertisements?|advertising|adverti[sz]ement feature|ads?|sponsored(?: content| post"
        r"| links?| stories)?|promoted(?: content| stories| links)?"
        r"|paid (?:content|post|partnership)"
        r"|(?:story|article) continues (?:below|after (?:the )?(?:advertisement|ad))"
        r"(?: advertisement)?|continue reading (?:the main story|below)"
        r"|scroll (?:down )?to continue(?: with content)?|skip advert(?:isement)?|ad feedback",
    ),
    # Navigation: site-wide links on a line of their own.
    _rule(
        "navigation",
        r"skip to (?:the )?(?:main )?(?:content|navigation|menu|footer)|back to top|go to top"
        r"|toggle navigation|(?:main |open |close )?menu|search|home(?:page)?|log ?in|sign ?in"
        r"|sign out|log ?out|register|my account|contact(?: us)?|about(?: us)?"
        r"|privacy(?: policy| notice)?|terms(?: (?:of|and) (?:use|service|conditions))?"
        r"|terms & conditions|site ?map|accessibility|rss(?: feed)?|page \d+(?: of \d+)?"
        r"|\d+ of \d+|(?:next|previous|prev|older|newer)(?: posts| page| entries)?",
        own_line=True,
    ),
)


def _gate(own_line: bool) -> re.Pattern:
    """Return one pattern that any sentence a rule matches also matches (a quick first test)."""
    parts = [
        f"(?{'' if rule.pattern.flags & re.IGNORECASE else '-i'}:{rule.pattern.pattern})"
        for rule in RULES
        if own_line or not rule.own_line
    ]
    return re.compile("|".join(parts), re.IGNORECASE)


_GATES = {own: _gate(own) for own in (False, True)}

_TRAILING = " :»\u203a→…"
# Longer sentences are never boilerplate: the rules need not look at them.
MAX_CHARS = 400


def _normalise(text: str) -> str:
    """Return ``text`` with its whitespace collapsed and a trailing ``:``, ``»``... dropped."""
    text = " ".join(text.split())
    stripped = text.rstrip(_TRAILING)
    if stripped.endswith("..."):
        stripped = stripped[:-3].rstrip(_TRAILING)
    return stripped or text


def _menu(text: str) -> bool:
    """Return True if ``text`` is a menu: items between separators ("Home | News | Sport"), or
    section names only ("Local News")."""
    if len(text) > 120:
        return False
    words = text.lower().split()
    if words and len(words) <= 6 and all(w in _NAV_WORDS for w in words):
        return text[-1] not in ".!?"
    items = [item for item in _MENU_SEP.split(text) if item]
    if len(items) < 2 or (len(items) == 2 and not all(i.lower() in _NAV_WORDS for i in items)):
        return False
    return all(len(item.split()) <= 4 and item[-1] not in ".!?" for item in items)


def _is_labels(text: str) -> bool:
    return len(text) <= 80 and bool(_LABELS.fullmatch(text))


def rule_of(sentence: str, own_line: bool) -> str | None:
    """Return the name of the first rule ``sentence`` matches on its own, or None.

    ``own_line``: whether the sentence is a line of its own in its text.
    """
    if len(sentence) > MAX_CHARS:
        return None
    return _rule_of(_normalise(sentence), own_line)


@lru_cache(maxsize=8192)  # page furniture repeats from page to page
def _rule_of(text: str, own_line: bool) -> str | None:
    if not text:
        return None
    if _GATES[own_line].fullmatch(text):
        lower = text.lower()
        for rule in RULES:
            if rule.matches(text, lower, own_line):
                return rule.name
    if own_line and _menu(text):
        return "navigation"
    if _is_labels(text) and len(_LABEL.findall(text)) >= 2:
        return "labels"
    return None


def _lines(text: str, sentences: Sequence[Sentence]) -> tuple[list[int], list[int], list[bool]]:
    """Return the line each sentence starts on, the line it ends on, and whether it is a line of
    its own (the sentences cover every non-whitespace character, as ``split_sentences`` does).

    Time is linear in the length of ``text``, however long its lines.
    """
    breaks = [m.start() for m in re.finditer("\n", text)]
    first = [bisect_left(breaks, s.start) for s in sentences]
    last = [bisect_left(breaks, s.end) for s in sentences]
    n = len(sentences)
    own = [
        first[i] == last[i]
        and (i == 0 or last[i - 1] < first[i])
        and (i + 1 == n or first[i + 1] > last[i])
        for i in range(n)
    ]
    return first, last, own


def classify(text: str, sentences: Sequence[Sentence]) -> list[str | None]:
    """Return, for each sentence of ``text``, the name of the boilerplate rule it falls under
    (``share``, ``comments``, ``notification``, ``cookies``, ``newsletter``, ``byline``,
    ``dateline``, ``caption``, ``tags``, ``related``, ``copyright``, ``advertisement``,
    ``navigation``, ``labels``), or None for a content sentence.

    ``sentences`` are those of ``detector.segment.split_sentences(text)``: in order, with
    offsets into ``text``, covering all of its non-whitespace characters.
    """
    first, last, own = _lines(text, sentences)
    kinds = [rule_of(s.text, o) for s, o in zip(sentences, own, strict=True)]
    # A caption: the (at most two) sentences before a photo credit that ends their line.
    for i, kind in enumerate(kinds):
        ends_line = i + 1 == len(sentences) or first[i + 1] > last[i]
        if kind == "caption" and ends_line and not own[i]:
            for j in range(i - 1, max(i - 3, -1), -1):
                if last[j] != first[i]:
                    break
                kinds[j] = kinds[j] or "caption"
    # Labels (buttons, networks) beside boilerplate: runs of them, in both directions.
    for order in (range(1, len(kinds)), range(len(kinds) - 2, -1, -1)):
        step = 1 if order.step > 0 else -1
        for i in order:
            if not kinds[i] and kinds[i - step] and _is_labels(_normalise(sentences[i].text)):
                kinds[i] = "labels"
    return kinds


def boilerplate_flags(text: str, sentences: Sequence[Sentence]) -> list[bool]:
    """Return whether each sentence of ``text`` is boilerplate (see ``classify``)."""
    return [kind is not None for kind in classify(text, sentences)]
