"""The canonical form of text for the likeness gate, and the rules that decide whether a text names a performer.

A name reaches a text encoder through many spellings: ``Zo\\ufe0fë``, ``Zoë_Okafor``, ``Okafor, Zoë``, Cyrillic
``о``, ``Z o e``, ``Z0e``. ``canonical`` folds them to one lower-case Latin form (the tokenizers fold most of them
too, so the name's words still reach the model); ``NameText`` cuts that form into word sequences ("views": as
written, letters spelled out one by one rejoined, digits read as letters); ``PerformerNames`` holds one
performer's labels and decides, with the rule that fired, whether a text refers to them. Both sides expose word
keys, so the caller can fetch candidate performers by an index: a performer can only be named by a text when
one of ``PerformerNames.keys`` is among ``NameText.keys``. docs/architecture.md ("Names in text") explains the rules.

Confusables come from the Unicode TR39 data shipped by ``confusable-homoglyphs`` (offline, pure Python), used
only for non-ASCII characters that look like ASCII letters, so ordinary Latin text is never changed.
"""

from __future__ import annotations

import functools
import html
import json
import operator
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from itertools import pairwise, permutations
from pathlib import Path

# Unicode Default_Ignorable_Code_Point (DerivedCoreProperties.txt): soft hyphen, CGJ, Hangul fillers, Mongolian
# selectors, zero-width space/joiners, bidi controls, word joiner, variation selectors, BOM, tags. Anything of
# general category Cf (format) is removed as well; both are invisible, so they may sit inside a name.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),
    (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
_REMOVED_CATEGORIES = frozenset({"Cf", "Mn", "Me"})  # format characters; accents and other combining marks
# Latin letters that have no decomposition and no ASCII confusable, but that a reader (and a model) takes for one.
_LATIN_LOOKALIKES = {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ŧ": "t", "ƀ": "b", "ȥ": "z", "ð": "d", "þ": "th"}
_SMALL_CAPITAL = re.compile(r"LATIN LETTER SMALL CAPITAL ([A-Z])")
# Blocks holding small capitals and other letter variants that TR39 does not map to ASCII (ʀ, ꜰ, ᴋ ...).
_LETTER_VARIANT_BLOCKS = ((0x0250, 0x02AF), (0x1D00, 0x1DBF), (0xA720, 0xA7FF), (0xAB30, 0xAB6F))
_REGIONAL_INDICATOR_A = 0x1F1E6  # 🇦 ... 🇿 read as letters
_FOLD_CACHE_LIMIT = 65_536
_HTML_ROUNDS = 3  # "&amp;euml;" is unescaped twice; more rounds would only undo deliberate text

_LETTERS = re.compile(r"[^\W\d_]+")
# Single letters each separated by one non-letter ("Z o e", "Z.o.e", "O-k-a-f-o-r"); two spaces end the run.
_SPELLED = re.compile(r"(?<![^\W\d_])[^\W\d_](?:[\W_][^\W\d_](?![^\W\d_]))+")
_NOT_LETTERS = re.compile(r"[\W\d_]+")
# Leetspeak: a run of letters, digits, "@" and "$" where a letter touches one of the others ("Z0e", "Ok@for").
_RUN = re.compile(r"(?:[^\W_]|[@$])+")
_LEET = re.compile(r"[^\W\d_][\d@$]|[\d@$][^\W\d_]")
_LEET_I = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s"})
_LEET_L = str.maketrans({"1": "l"})  # then _LEET_I for the other digits
_LEET_CHARACTERS = "0123456789@$"
_TRIPLE = re.compile(r"([^\W\d_])\1\1")  # three equal letters: "Okaforrr", "Zoooe"
_REPEATS = re.compile(r"([^\W\d_])\1+")

_COMMON_WORDS_FILE = Path(__file__).with_name("common_words.txt")
_DISTINCTIVE_MIN_LETTERS = 3
_SPLIT_MIN_LETTERS = 4  # "Oka for" is repaired to "okafor"; shorter words split in two are ordinary text
_WINDOW_SLACK = 2  # "Zoë 'the actress' Okafor": up to two other words inside a name that has a distinctive word
_IGNORABLE: dict[int, None] = {code: None for first, last in _DEFAULT_IGNORABLE for code in range(first, last + 1)}
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})  # "Zoë Okafor Jr.": the surname is still Okafor


@functools.cache
def _confusable_table() -> dict[int, str]:
    """Non-ASCII letters to the ASCII letters they are drawn like (TR39 data, small capitals by name)."""
    data = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    table: dict[int, str] = {}
    for char, homoglyphs in data.items():
        lookalikes = sorted(
            (glyph["c"] for glyph in homoglyphs if glyph["c"].isascii() and glyph["c"].isalpha()),
            key=lambda glyph: (not glyph.islower(), glyph),
        )
        if len(char) == 1 and not char.isascii() and lookalikes:
            table[ord(char)] = lookalikes[0].lower()
    for first, last in _LETTER_VARIANT_BLOCKS:
        for code in range(first, last + 1):
            small_capital = _SMALL_CAPITAL.fullmatch(unicodedata.name(chr(code), ""))
            if small_capital:
                table[code] = small_capital.group(1).lower()
    table.update({_REGIONAL_INDICATOR_A + offset: chr(ord("a") + offset) for offset in range(26)})
    table.update({ord(char): ascii_form for char, ascii_form in _LATIN_LOOKALIKES.items()})
    return table


class _FoldTable(dict[int, str | None]):
    """``str.translate`` table filled on first sight of each character: marks removed, look-alikes folded."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        folded: str | None
        if unicodedata.category(char) in _REMOVED_CATEGORIES:
            folded = None
        else:
            # Lower case first: TR39 draws Cyrillic "І" as "l", but its lower case "і" as "i", which it means.
            table = _confusable_table()
            lower = char.casefold()
            folded = table.get(ord(lower), table.get(code, lower)) if len(lower) == 1 else lower
        if len(self) < _FOLD_CACHE_LIMIT:  # a text of every code point must not grow the table without bound
            self[code] = folded
        return folded


_FOLD = _FoldTable()


def _unescape(text: str) -> str:
    for _ in range(_HTML_ROUNDS):
        if "&" not in text:
            break
        text = html.unescape(text)
    return text


def canonical(text: str) -> str:
    """``text`` as the gate reads it: NFKC, HTML entities unescaped, invisibles removed, look-alikes folded.

    The result is lower-case, without accents, with confusable non-ASCII letters (Cyrillic ``о``, Greek ``ο``,
    small capitals, fullwidth and mathematical letters) as ASCII; separators are kept, so ``"Zoë_Okafor"``
    becomes ``"zoe_okafor"``. ASCII text is only lower-cased.
    """
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        text = text.translate(_IGNORABLE)  # before unescaping: "&eu\u200bml;" is an entity too
    text = _unescape(text)
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKD", text).translate(_FOLD))


def _respelled(text: str) -> list[str]:
    """``text`` as written, plus readings of its leetspeak runs (``1`` read as i, and as l)."""
    if not any(char in text for char in _LEET_CHARACTERS) or not _LEET.search(text):
        return [text]
    readings = [text, _RUN.sub(functools.partial(_read_leet, table=_LEET_I), text)]
    if "1" in text:
        readings.append(_RUN.sub(functools.partial(_read_leet, table=_LEET_L), text))
    return readings


def _read_leet(run: re.Match[str], table: dict[int, str]) -> str:
    """A run with leetspeak in it, read as letters (``table`` first, then the usual digits)."""
    return run.group().translate(table).translate(_LEET_I) if _LEET.search(run.group()) else run.group()


def _spelled_out(words: Sequence[str]) -> bool:
    """Whether two single letters stand next to each other: the cheap test before ``_SPELLED``'s search."""
    return any(len(word) == 1 == len(following) for word, following in pairwise(words))


def _squeezed(word: str) -> str:
    return _REPEATS.sub(r"\1", word)


@dataclass(frozen=True)
class _View:
    """One reading of a text as words, with each pair of neighbours glued ("oka" + "for") and squeezed words.

    Built for every request, so it holds sets for the performers' quick intersections and finds positions
    only for the few words a performer shares with it.
    """

    words: tuple[str, ...]
    word_set: frozenset[str]
    pairs: tuple[str, ...]  # pairs[i] == words[i] + words[i + 1]
    pair_set: frozenset[str]
    squeezed: dict[str, list[int]]  # words with a letter three times ("okaforrr") by their squeezed form

    @classmethod
    def of(cls, text: str) -> _View:
        words = tuple(_LETTERS.findall(text))
        pairs = tuple(map(operator.add, words, words[1:]))
        squeezed: dict[str, list[int]] = defaultdict(list)
        if _TRIPLE.search(text):
            for position, word in enumerate(words):
                if _TRIPLE.search(word):
                    squeezed[_squeezed(word)].append(position)
        return cls(words, frozenset(words), pairs, frozenset(pairs), dict(squeezed))

    def keys(self) -> frozenset[str]:
        return self.word_set | self.pair_set | frozenset(self.squeezed)


def _positions(words: tuple[str, ...], wanted: str) -> list[int]:
    return [position for position, word in enumerate(words) if word == wanted]


@dataclass(frozen=True)
class NameText:
    """One or more texts (a prompt, what each text encoder receives) as the gate searches them for names."""

    views: tuple[_View, ...]
    keys: frozenset[str]
    """Every word key of the texts: a performer whose keys meet none of these is not named by them."""

    @classmethod
    def of(cls, *texts: str) -> NameText:
        views: dict[tuple[str, ...], _View] = {}
        for text in texts:
            for form in _respelled(canonical(text)):
                view = _View.of(form)
                views.setdefault(view.words, view)
                if _spelled_out(view.words) and _SPELLED.search(form):
                    rejoined = _View.of(_SPELLED.sub(lambda run: _NOT_LETTERS.sub("", run.group()), form))
                    views.setdefault(rejoined.words, rejoined)
        return cls(tuple(views.values()), frozenset().union(*(view.keys() for view in views.values())))


def name_keys(text: str) -> frozenset[str]:
    """The word keys of ``text`` to look candidate performers up by (see ``PerformerNames.keys``)."""
    return NameText.of(text).keys


@functools.cache
def common_words() -> frozenset[str]:
    """Words that identify nobody alone: common English words, first names, surnames (see the file's header)."""
    lines = _COMMON_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(word for line in lines if not line.startswith("#") for word in line.split())


def distinctive(word: str) -> bool:
    """Whether a canonical word names someone on its own: "okafor" does, "lee", "young" and "stone" do not."""
    return len(word) >= _DISTINCTIVE_MIN_LETTERS and word not in common_words()


@dataclass(frozen=True)
class Mention:
    """Why a text refers to a performer, for the refusal and the audit: the rule that fired and on what."""

    rule: str  # one of the RULE_* constants
    label: str  # the registered name, alias or identifying word, or the name word that fired

    def describe(self) -> str:
        return f"{self.rule}: {self.label!r}"


RULE_NAME = "full name"
RULE_ALIAS = "alias"
RULE_IDENTIFYING = "identifying word"
RULE_FIRST_AND_SURNAME = "first name and surname"
RULE_SURNAME = "distinctive surname"

# The version of the word keys (``NameText.keys``, ``PerformerNames.index``). Change it whenever either changes:
# the registry re-indexes every performer on the next open (``ConsentRegistry.reindex_names``).
NAME_KEYS_VERSION = "canonical-1"


@dataclass(frozen=True)
class IndexKey:
    """One row of the name-word index: a key of a label, and whether that key can name the performer alone.

    A key that cannot (a first name, a common surname, one word of a longer alias) needs a second key of the
    same label in the text before the performer is a candidate: no rule fires on it alone.
    """

    label: str
    key: str
    alone: bool


@dataclass(frozen=True)
class _Label:
    rule: str
    text: str
    words: tuple[str, ...]
    slack: int  # other words allowed inside the window; 0 for names made only of common words


@dataclass(frozen=True)
class _Hit:
    word: str
    first: int  # positions of the text's words it covers: a split word covers two
    last: int


def words(text: str) -> tuple[str, ...]:
    """The canonical words of ``text``: runs of letters ("Zoë_Okafor2" → ("zoe", "okafor"))."""
    return tuple(_LETTERS.findall(canonical(text)))


class PerformerNames:
    """One performer's labels as the gate matches them: name, aliases, extra identifying words (stage names)."""

    def __init__(self, name: str, aliases: Iterable[str] = (), identifying: Iterable[str] = ()):
        labelled = [(RULE_NAME, name), *((RULE_ALIAS, a) for a in aliases),
                    *((RULE_IDENTIFYING, w) for w in identifying)]
        self._labels = tuple(
            _Label(rule, text, found, _WINDOW_SLACK if any(map(distinctive, found)) else 0)
            for rule, text in labelled if (found := words(text))
        )
        name_words = words(name)
        self._first = name_words[0] if len(name_words) > 1 else None
        parts = [found for part in name.split() if (found := words(part)) and found[0] not in _NAME_SUFFIXES]
        last_part = parts[-1] if len(parts) > 1 else name_words[-1:] if self._first else ()
        self._surname = last_part[-1] if last_part else None  # "Zoë Adaeze Lee" is also "Zoë Lee", in that order
        self._surnames = frozenset(filter(distinctive, last_part)) - {self._first}
        self._beside_first = frozenset(filter(distinctive, name_words[1:])) - {self._first}
        self._lookup = self._glued_and_plural()
        self._squeezed = {_squeezed(word): word for label in self._labels for word in label.words}
        self._split = {word for label in self._labels for word in label.words if len(word) >= _SPLIT_MIN_LETTERS}
        self.keys: frozenset[str] = frozenset({*self._lookup, *self._squeezed})
        """Word keys to index the performer by: its words, their glued forms ("zoeokafor"), squeezed forms."""

    def _glued_and_plural(self) -> dict[str, tuple[str, ...]]:
        """Each text word that stands for some of the performer's words: itself, glued pairs, "Okafors"."""
        lookup: dict[str, tuple[str, ...]] = {}
        for label in self._labels:
            lookup.update((word, (word,)) for word in label.words)
        for label in self._labels:
            glued = [*permutations(label.words, 2), label.words] if len(label.words) > 1 else []
            for words in glued:
                lookup.setdefault("".join(words), words)
        for surname in self._surnames:
            lookup.setdefault(surname + "s", (surname,))
        return lookup

    def index(self) -> tuple[IndexKey, ...]:
        """The index rows: every key in ``keys``, by the label it comes from (a key fires alone when it is a
        distinctive surname, its plural, a glued form, or the only word of a label)."""
        rows: dict[tuple[str, str], bool] = {}
        for label in self._labels:
            single = len(set(label.words)) == 1
            alone = {word: single or word in self._surnames for word in label.words}
            for word, fires in alone.items():
                for key in {word, _squeezed(word)}:
                    rows[label.text, key] = rows.get((label.text, key), False) or fires
            if len(label.words) > 1:
                for glued in [*permutations(label.words, 2), label.words]:
                    rows[label.text, "".join(glued)] = True
            if label.rule == RULE_NAME:
                rows.update({(label.text, surname + "s"): True for surname in self._surnames})
        return tuple(IndexKey(label, key, alone) for (label, key), alone in rows.items())

    def answers_to(self, label: str) -> bool:
        """Whether ``label`` is one of the performer's labels as the rules read it (case, accents, word order)."""
        wanted = sorted(words(label))
        return any(sorted(own.words) == wanted for own in self._labels)

    def mention_in(self, text: NameText) -> Mention | None:
        """Whether ``text`` refers to this performer, and by which rule; None when it does not."""
        if self.keys.isdisjoint(text.keys):
            return None
        for view in text.views:
            mention = self._rules(self._hits(view))
            if mention is not None:
                return mention
        return None

    def _hits(self, view: _View) -> dict[str, list[_Hit]]:
        hits: dict[str, list[_Hit]] = defaultdict(list)
        for key in self._lookup.keys() & view.word_set:
            for position in _positions(view.words, key):
                for word in self._lookup[key]:
                    hits[word].append(_Hit(word, position, position))
        for key in self._split & view.pair_set:
            hits[key].extend(_Hit(key, position, position + 1) for position in _positions(view.pairs, key))
        for key in self._squeezed.keys() & view.squeezed.keys():
            word = self._squeezed[key]
            hits[word].extend(_Hit(word, position, position) for position in view.squeezed[key])
        return hits

    def _rules(self, hits: dict[str, list[_Hit]]) -> Mention | None:
        if not hits:
            return None
        for label in self._labels:
            if _within_window(label, hits):
                return Mention(label.rule, label.text)
        if self._first in hits:
            firsts = hits[self._first]
            for word in self._beside_first & hits.keys():
                if any(_beside(a, b) for a in firsts for b in hits[word]):
                    return Mention(RULE_FIRST_AND_SURNAME, f"{self._first} {word}")
            if self._surname in hits and any(_followed_by(a, b) for a in firsts for b in hits[self._surname]):
                return Mention(RULE_FIRST_AND_SURNAME, f"{self._first} {self._surname}")
        surname = min(self._surnames & hits.keys(), default=None)
        return Mention(RULE_SURNAME, surname) if surname is not None else None


def _beside(a: _Hit, b: _Hit) -> bool:
    """Neighbours in either order (or glued into one word)."""
    return max(a.first, b.first) - min(a.last, b.last) <= 1


def _followed_by(a: _Hit, b: _Hit) -> bool:
    """``b`` right after ``a`` (or glued to it)."""
    return 0 <= b.first - a.last <= 1


def _within_window(label: _Label, hits: dict[str, list[_Hit]]) -> bool:
    """Whether all the label's words occur, in any order, within its length plus its slack in words."""
    wanted = set(label.words)
    if not wanted <= hits.keys():
        return False
    if len(label.words) == 1:
        return True
    found = sorted((hit for word in wanted for hit in hits[word]), key=lambda hit: hit.first)
    width = len(label.words) + label.slack
    for start, opening in enumerate(found):
        seen = set()
        for hit in found[start:]:
            if hit.last - opening.first >= width:
                break
            seen.add(hit.word)
            if seen == wanted:
                return True
    return False


@functools.lru_cache(maxsize=16_384)
def performer_names(name: str, aliases: tuple[str, ...] = (), identifying: tuple[str, ...] = ()) -> PerformerNames:
    """``PerformerNames`` built once per registered row (rows are never edited), not once per request."""
    return PerformerNames(name, aliases, identifying)


def refers_to(text: str, name: str, aliases: Sequence[str] = (), identifying: Sequence[str] = ()) -> Mention | None:
    """Whether ``text`` refers to the performer ``name`` (with ``aliases`` and extra ``identifying`` words)."""
    return performer_names(name, tuple(aliases), tuple(identifying)).mention_in(NameText.of(text))
