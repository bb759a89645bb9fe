"""One rule for "this value shows a personal value": it appears inside it, whatever the case.

The policy scan (``access.find_leaks``) and the erasure scan (``erasure.traces``) both use it, so
a view that shows ``'***' || email``, ``lower(email)``, ``'mailto:' || email`` or ``name || ' '``
is a leak, and a mailing list that keeps ``Ann@Example.com`` is a trace of ``ann@example.com``.
An exact comparison would miss all of these.

    >>> found = find_inside(["mailto:Ann@Example.com", "***@example.com", None], ["ann@example.com", "bo@x.org"])
    >>> found
    {'ann@example.com': ['mailto:Ann@Example.com']}
    >>> sql_contains('"email"', "?")
    'contains(lower("email"), lower(?))'
"""
from __future__ import annotations

from collections import defaultdict

GRAM = 4  # needles are found by their first GRAM characters, then checked in full


def sql_contains(haystack: str, needle: str) -> str:
    """The rule as a DuckDB predicate: ``needle`` occurs in ``haystack``, ignoring case."""
    return f"contains(lower({haystack}), lower({needle}))"


def find_inside(values, needles) -> dict[str, list[str]]:
    """{needle: [values that contain it]} for every needle found in at least one value (ignoring case).

    Fast enough for thousands of needles against thousands of values: each needle is indexed
    by its first few characters, and each position of each value is looked up once.
    """
    index: dict[str, list[tuple[str, str]]] = defaultdict(list)
    short = []
    for needle in dict.fromkeys(n for n in needles if isinstance(n, str) and n):
        low = needle.lower()
        (short.append((low, needle)) if len(low) < GRAM else index[low[:GRAM]].append((low, needle)))
    found: dict[str, list[str]] = {}
    for value in dict.fromkeys(v for v in values if isinstance(v, str)):
        low = value.lower()
        hit = {needle for n_low, needle in short if n_low in low}
        for i in range(len(low) - GRAM + 1):
            for n_low, needle in index.get(low[i:i + GRAM], ()):
                if low.startswith(n_low, i):
                    hit.add(needle)
        for needle in hit:
            found.setdefault(needle, []).append(value)
    return found
