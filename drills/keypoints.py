"""Match a typed answer against an entry's key points: which did you mention, which did you miss?

A key point counts as covered when the answer says one of its synonyms. The comparison is
forgiving about form and strict about context:

- case, hyphens, slashes and underscores do not matter, and a phrase may be written as one
  word ("dead-letter" matches "deadletter");
- every word is reduced to its stem, so "sharded", "sharding" and "shards" all match "shard",
  and British and American spellings meet ("normalise", "normalize");
- a phrase of several words must appear as consecutive words inside one sentence, so
  "We pick an event. Time matters." does not say "event time";
- a phrase that follows a negation in the same clause ("never use Kafka", "no watermark",
  "instead of hashing") does not count; "not only" does not negate, and a synonym that holds
  its own negation ("no double counting") still counts.

An answer that is mostly bare terms rather than sentences gets a ``warning``: naming a
point is not explaining it.

    >>> points = [KeyPoint("Replayable log", ("kafka", "durable log")),
    ...           KeyPoint("Dead letters", ("dead-letter", "dlq"))]
    >>> m = match("Events land in Kafka; bad ones go to dead letter queues.", points)
    >>> [p.point for p in m.covered], [p.point for p in m.missed]
    (['Replayable log', 'Dead letters'], [])
    >>> match("We would never use Kafka, and there is no DLQ.", points).ratio
    0.0
    >>> match("kafka, dlq, durable log, dead-letter, exactly-once, watermarks, outbox", points).warning
    'This reads as a list of terms, not sentences: naming a point is not explaining it.'

Known limits (this is a self-check aid, not a judge):

- It looks for words, not meaning: a wrong claim in the right words ("Type 2 overwrites the
  old value") still covers the point whose synonym it uses (here, type 1's). The bank's
  synonyms are specific phrases, which makes that rarer, not impossible.
- A correct point phrased in words outside the synonym list is reported as missed.
- Negation is read from a few words before a phrase in the same clause (further along an
  "or" list): "never use Kafka or Flink" credits neither, but "never use Kafka, Flink or Spark"
  still credits Flink and Spark, which follow a comma; a negation far from its phrase is missed.
- The keyword-list warning looks at the shape of the text (function words, short comma-separated
  fragments), so short, honest sentences of bare terms are warned too, and a list dressed up
  as sentences ("We use Kafka. We use Flink.") is not.
- Spelling mistakes are not forgiven, unless the stem survives them ("idempotant"), and
  stemming sometimes joins words that share a stem ("consistent", "consistency").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer

_STEMMER = snowballstemmer.stemmer("english")

# a word may carry an apostrophe ("don't", "kafka's"); everything else that is not a letter or digit splits words
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")
# sentence ends: . ! ? ; : or an ellipsis followed by a space or the end (so "1.6 KB" stays whole), or a new line
_SENTENCE_END = re.compile(r"(?<=[.!?;:\u2026])(?=\s|$)|\n+")
# abbreviations whose full stop does not end a sentence
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.", "incl.", "esp.", "viz.", "resp.")
# a comma, a bracket or a dash ends a clause: a negation does not reach past it
_CLAUSE_BREAK = re.compile(r"[,()\[\]\u2013\u2014]|\s-\s")

NEGATORS = frozenset({
    "not", "no", "never", "without", "avoid", "avoids", "avoided", "avoiding", "cannot", "nor",
    "neither", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "wont", "wouldnt",
    "shouldnt", "cant", "couldnt", "mustnt", "hasnt", "havent", "neednt", "lacks", "lacking",
})
NEGATING_PAIRS = frozenset({("instead", "of"), ("rather", "than"), ("no", "longer")})
# "not only X", "no matter how", "not just": the word after the negator takes the negation away
_NOT_NEGATING_NEXT = frozenset({"only", "just", "merely", "simply", "least", "matter", "doubt"})
# words after which a new clause starts even without a comma ("no lock but a version check")
_CLAUSE_WORDS = frozenset({"but", "so", "because", "while", "whereas", "although", "though", "then",
                           "which", "hence", "thus", "therefore", "yet"})
NEGATION_WINDOW = 3  # words before a phrase that are searched for a negator
LIST_NEGATION_WINDOW = 8  # ... or more, when an "or" joins the phrase to the negated words

# words that carry grammar rather than content; prose is full of them, a keyword list is not
FUNCTION_WORDS = frozenset("""
a an the this that these those it its it's they them their we our us you your i me my he she his her
is are was were be been being am do does did done has have had having can could will would shall should
may might must of to in on at by for with from into onto over under about after before between through
during within without per via as than then so because if when while where which who whom whose what
how why whether and or but nor not no never also only just both either each every all any some more
most less least many much few such own same other another there here up down out off again once very
too still even yet instead rather against until unless though although whereas since
""".split())
# for the shape of a text, "valid_from" and "exactly-once" are one term each, not two words
_TERM = re.compile(r"[a-z0-9]+(?:['_/-][a-z0-9]+)*")
_FRAGMENT_BREAK = re.compile(r"[,;\n|]+|\s[-\u2013\u2014]\s")
KEYWORD_LIST_MIN_WORDS = 8      # shorter answers are too small to judge by their shape
FUNCTION_WORD_SHARE = 0.2       # model answers sit well above this; lists of terms well below
FRAGMENT_SHARE = 0.6            # share of words that sit in short comma-separated fragments
WARNING = "This reads as a list of terms, not sentences: naming a point is not explaining it."


@dataclass(frozen=True)
class KeyPoint:
    """One thing a strong answer says, with the words that show it was said."""
    point: str
    synonyms: tuple[str, ...]


@dataclass
class Match:
    """What an answer covered and missed.

    ``found`` maps each covered point to the words that credited it; ``negated`` maps a missed
    point to words the answer used only after a negation; ``warning`` is set when the answer
    reads as a list of terms.
    """
    covered: list[KeyPoint] = field(default_factory=list)
    missed: list[KeyPoint] = field(default_factory=list)
    found: dict[str, str] = field(default_factory=dict)
    negated: dict[str, str] = field(default_factory=dict)
    warning: str | None = None

    @property
    def ratio(self) -> float:
        total = len(self.covered) + len(self.missed)
        return len(self.covered) / total if total else 0.0

    def __str__(self) -> str:
        lines = [f"Covered {len(self.covered)} of {len(self.covered) + len(self.missed)} key points."]
        if self.warning:
            lines.append(f"Warning: {self.warning}")
        lines += [f"  + {p.point}  (you said: {self.found[p.point]})" for p in self.covered]
        for p in self.missed:
            said = self.negated.get(p.point)
            extra = f"; you said '{said}' only after a negation" if said else ""
            lines.append(f"  - {p.point}  (words that would count: {', '.join(p.synonyms)}{extra})")
        return "\n".join(lines)


def _spelling(word: str) -> str:
    """One spelling for British and American forms, so both sides of a comparison agree."""
    word = re.sub(r"(?<=[a-z]{2})([iy])s(e|es|ed|ing|ation|ations|er|ers)$", r"\1z\2", word)
    word = re.sub(r"(?<=[a-z]{3})our(s|ed|ing|able)?$", r"or\1", word)   # behaviour, colour
    word = re.sub(r"(?<=[a-z]{3})ogue(s|d)?$", r"og\1", word)            # catalogue, dialogue
    return re.sub(r"(?<=[a-z]{3})tre(s|d)?$", r"ter\1", word)            # centre, metre


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """The form two words are compared by: Snowball English stem of one spelling, plural 's' gone.

    >>> [stem(w) for w in ("sharded", "Sharding", "shards", "normalised", "normalized", "DLQs")]
    ['shard', 'shard', 'shard', 'normal', 'normal', 'dlq']
    """
    word = word.lower().replace("'", "")
    out = _STEMMER.stemWord(_spelling(word))
    # the stemmer keeps the 's' of acronyms without a vowel before it ("dlqs", "ctes"); drop it
    if len(out) >= 4 and out.endswith("s") and not out.endswith(("ss", "us", "is")) and out == word:
        out = _STEMMER.stemWord(out[:-1])
    return out


@dataclass(frozen=True)
class _Token:
    word: str       # lower case, apostrophes dropped
    stem: str
    clause: int     # tokens with the same number are in the same clause of their sentence
    negator: bool   # "never", "without", "doesn't" ...


def sentences(text: str) -> list[list[str]]:
    """The words of ``text``, sentence by sentence, in lower case.

    >>> sentences("We pick an event. Time matters; e.g. 1.6 KB rows.\\nDone")
    [['we', 'pick', 'an', 'event'], ['time', 'matters'], ['e', 'g', '1', '6', 'kb', 'rows'], ['done']]
    """
    return [[t.word for t in s] for s in _tokens(text)]


def _split_sentences(text: str) -> list[str]:
    pieces, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        chunk = text[start:m.end()]
        if chunk.rstrip().lower().endswith(_ABBREVIATIONS) and not m.group().startswith("\n"):
            continue  # "e.g." does not end a sentence: keep the chunk growing
        pieces.append(chunk)
        start = m.end()
    pieces.append(text[start:])
    return [p for p in pieces if p.strip()]


def _tokens(text: str) -> list[list[_Token]]:
    text = (text or "").lower().replace("\u2019", "'").replace("\u2018", "'")
    out = []
    for sentence in _split_sentences(text):
        tokens: list[_Token] = []
        for clause_no, clause in enumerate(_CLAUSE_BREAK.split(sentence)):
            for raw in _WORD.findall(clause):
                word = raw.replace("'", "")
                tokens.append(_Token(word, stem(word), clause_no, word in NEGATORS or raw.endswith("n't")))
        if tokens:
            out.append(tokens)
    return out


@lru_cache(maxsize=20_000)
def _phrase(synonym: str) -> tuple[tuple[str, ...], str]:
    """A synonym as its stems, and the stem of its words joined into one ("dead letter" -> "deadlett")."""
    words = [w.replace("'", "") for w in _WORD.findall(synonym.lower().replace("\u2019", "'"))]
    return tuple(stem(w) for w in words), stem("".join(words))


def _negated(tokens: list[_Token], at: int) -> bool:
    """True when a negator stands within NEGATION_WINDOW words before ``at``, in the same clause."""
    start, reach = at, NEGATION_WINDOW
    while start > 0 and at - start < reach and tokens[start - 1].clause == tokens[at].clause \
            and tokens[start - 1].word not in _CLAUSE_WORDS:
        start -= 1
        if tokens[start].word in ("or", "nor"):
            reach = LIST_NEGATION_WINDOW  # "never use X or Y": the negation covers the whole "or" list
    for i in range(start, at):
        if tokens[i].negator and tokens[i + 1].word not in _NOT_NEGATING_NEXT:
            return True
        if i + 1 < at and (tokens[i].word, tokens[i + 1].word) in NEGATING_PAIRS:
            return True
    return False


def _joined(sentence: list[_Token]) -> dict[tuple[int, str], list[int]]:
    """Where each run of 1 to 3 words of a clause starts, by (width, stem of the words run together)."""
    out: dict[tuple[int, str], list[int]] = {}
    for width in (1, 2, 3):
        for i in range(len(sentence) - width + 1):
            if sentence[i].clause == sentence[i + width - 1].clause:
                key = (width, stem("".join(t.word for t in sentence[i:i + width])))
                out.setdefault(key, []).append(i)
    return out


def _hits(sentence: list[_Token], joined: dict, synonym: str) -> list[int]:
    """Start positions in ``sentence`` where ``synonym`` is said, as consecutive words or run together."""
    stems, together = _phrase(synonym)
    if not stems:
        return []
    n = len(stems)
    found = [i for i in joined.get((1, stems[0]), [])
             if i + n <= len(sentence) and all(sentence[i + k].stem == stems[k] for k in range(1, n))]
    if n > 1:    # "deadletter" in the answer for the synonym "dead letter"
        found += joined.get((1, together), [])
    else:        # "dead letter" in the answer for the synonym "deadletter"
        found += joined.get((2, together), []) + joined.get((3, together), [])
    return found


def _said(tokens: list[tuple[list[_Token], dict]], synonym: str) -> tuple[bool, bool]:
    """(said plainly somewhere, said only after a negation somewhere)."""
    seen_negated = False
    for sentence, joined in tokens:
        for at in _hits(sentence, joined, synonym):
            if _negated(sentence, at):
                seen_negated = True
            else:
                return True, seen_negated
    return False, seen_negated


def is_keyword_list(text: str) -> bool:
    """True when ``text`` is mostly bare terms: few function words, or mostly short comma-separated fragments.

    >>> is_keyword_list("type 0 type 1 type 2 type 3 merge point-in-time")
    True
    >>> is_keyword_list("Type 2 closes the current row and inserts a new version with its own key.")
    False
    """
    words = _TERM.findall((text or "").lower())
    if len(words) < KEYWORD_LIST_MIN_WORDS:
        return False
    if sum(w in FUNCTION_WORDS for w in words) / len(words) < FUNCTION_WORD_SHARE:
        return True
    fragments = [_TERM.findall(f) for f in _FRAGMENT_BREAK.split((text or "").lower())]
    in_short = sum(len(f) for f in fragments if 0 < len(f) <= 3 and not any(w in FUNCTION_WORDS for w in f))
    return in_short / len(words) > FRAGMENT_SHARE


def match(answer: str, key_points) -> Match:
    """Which ``key_points`` (KeyPoint objects or {"point", "synonyms"} dicts) the answer covers."""
    tokens = [(s, _joined(s)) for s in _tokens(answer or "")]
    result = Match(warning=WARNING if is_keyword_list(answer or "") else None)
    for kp in key_points:
        if isinstance(kp, dict):
            kp = KeyPoint(kp["point"], tuple(kp["synonyms"]))
        hit, negated = None, None
        for synonym in kp.synonyms:
            plain, after_negation = _said(tokens, synonym)
            if plain:
                hit = synonym
                break
            if after_negation and negated is None:
                negated = synonym
        if hit is None:
            result.missed.append(kp)
            if negated is not None:
                result.negated[kp.point] = negated
        else:
            result.covered.append(kp)
            result.found[kp.point] = hit
    return result
