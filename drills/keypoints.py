"""Match a typed answer against an entry's key points: which did you mention, which did you miss?

A key point counts as covered when the answer contains at least one of its synonyms as
whole words. Matching ignores case, treats hyphens, slashes and underscores as spaces,
accepts a phrase written as one word ("dead-letter" matches "deadletter") and forgives a
plural 's' (or 'es', 'ies') on either side.

    >>> points = [KeyPoint("Replayable log", ("kafka", "durable log")),
    ...           KeyPoint("Dead letters", ("dead-letter", "dlq"))]
    >>> m = match("Events land in Kafka; bad ones go to dead letter queues.", points)
    >>> [p.point for p in m.covered], [p.point for p in m.missed]
    (['Replayable log', 'Dead letters'], [])
    >>> match("We use Kafkaesque tooling.", points).ratio
    0.0

Known limits (this is a self-check aid, not a judge):

- It looks for words, not meaning. "I would never use a watermark" still covers the point
  whose synonym is "watermark"; an answer that is only a list of keywords covers everything.
- A correct point phrased in words outside the synonym list is reported as missed.
- Only plural endings are forgiven: "partitioning" does not match "partition", and
  irregular plurals ("indices" against "index") are not recognised.
- Spelling mistakes are not forgiven.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class KeyPoint:
    """One thing a strong answer says, with the words that show it was said."""
    point: str
    synonyms: tuple[str, ...]


@dataclass
class Match:
    """What an answer covered and missed; ``found`` maps each covered point to the words seen."""
    covered: list[KeyPoint] = field(default_factory=list)
    missed: list[KeyPoint] = field(default_factory=list)
    found: dict[str, str] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        total = len(self.covered) + len(self.missed)
        return len(self.covered) / total if total else 0.0

    def __str__(self) -> str:
        lines = [f"Covered {len(self.covered)} of {len(self.covered) + len(self.missed)} key points."]
        lines += [f"  + {p.point}  (you said: {self.found[p.point]})" for p in self.covered]
        lines += [f"  - {p.point}  (words that would count: {', '.join(p.synonyms)})" for p in self.missed]
        return "\n".join(lines)


def forms(word: str) -> frozenset[str]:
    """The word and what it could be without a plural ending; two words match when their forms meet.

    >>> sorted(forms("batches")), sorted(forms("queries")), sorted(forms("class"))
    (['batch', 'batche', 'batches'], ['querie', 'queries', 'query'], ['class'])
    """
    out = {word}
    # short words keep their 's' ("gas", "aws", "its") and so do "ss"/"us"/"is" endings
    if len(word) >= 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        out.add(word[:-1])
        if word.endswith("ies"):
            out.add(word[:-3] + "y")
        elif word.endswith("es"):
            out.add(word[:-2])
    return frozenset(out)


def words(text: str) -> list[str]:
    """Lower-case words; punctuation, hyphens, slashes and underscores split words.

    >>> words("Exactly-once, Pub/Sub sinks!")
    ['exactly', 'once', 'pub', 'sub', 'sinks']
    """
    return _WORD.findall(text.lower())


def _same(a: frozenset[str], b: frozenset[str]) -> bool:
    return not a.isdisjoint(b)


def mentions(answer_forms: list[frozenset[str]], phrase: str) -> bool:
    """True when ``phrase`` appears as consecutive whole words of the answer (or as one joined word)."""
    target = [forms(w) for w in words(phrase)]
    n = len(target)
    if n == 0:
        return False
    for i in range(len(answer_forms) - n + 1):
        if all(_same(answer_forms[i + k], target[k]) for k in range(n)):
            return True
    if n > 1:  # "dead-letter" written "deadletter", or "pub/sub" written "pubsub"
        joined = forms("".join(words(phrase)))
        return any(_same(f, joined) for f in answer_forms)
    return False


def match(answer: str, key_points) -> Match:
    """Which ``key_points`` (KeyPoint objects or {"point", "synonyms"} dicts) the answer covers."""
    answer_forms = [forms(w) for w in words(answer or "")]
    result = Match()
    for kp in key_points:
        if isinstance(kp, dict):
            kp = KeyPoint(kp["point"], tuple(kp["synonyms"]))
        hit = next((s for s in kp.synonyms if mentions(answer_forms, s)), None)
        if hit is None:
            result.missed.append(kp)
        else:
            result.covered.append(kp)
            result.found[kp.point] = hit
    return result
