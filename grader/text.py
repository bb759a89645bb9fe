"""The small text idioms every message of the kit uses: a counted noun and a sentence.

    >>> plural(1, "row"), plural(3, "row"), plural(2, "match", "matches")
    ('1 row', '3 rows', '2 matches')
    >>> sentence("2 rows are missing; 1 key is unexpected")
    '2 rows are missing; 1 key is unexpected.'
"""
from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` and ``word``, in the plural unless n is exactly 1; thousands are separated.

        >>> plural(12000, "test case")
        '12,000 test cases'
    """
    noun = word if n == 1 else (many or word + "s")
    return f"{n:,} {noun}"


def sentence(text: str) -> str:
    """``text`` with its first letter capitalised and one full stop at the end.

        >>> sentence("the kernel died.")
        'The kernel died.'
    """
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")
