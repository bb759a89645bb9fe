"""Integer hashes that give the same numbers in numpy and in DuckDB SQL.

Big synthetic tables (a billion transactions) are generated inside DuckDB, row by
row, from nothing but the row number and the seed. A random number generator with
hidden state cannot do that in parallel, but a *hash* of the row number can: row
``i`` always gets the same bits, whichever thread computes it.

Two hashes live here:

- ``murmur64`` is what DuckDB's own ``hash()`` computes for a BIGINT. It is one
  call per row in SQL, so the transactions table uses it for its random bits. An
  engine could change its ``hash()`` in a new release, so this numpy copy pins it
  down: a test compares the two, and the generator checks the engine before writing.
- ``mix32`` is a 32-bit "multiply and xor-shift" mixer (the shape of the well known
  *lowbias32* hash) written in plain SQL arithmetic. Both multipliers are below
  2**31, so every product of a 32-bit value fits a signed 64-bit integer and never
  overflows. It costs about ten SQL operations a row, so it serves small tables
  (the merchants).

Both are exact integer arithmetic, so the same seed gives the same numbers on
every machine.

    >>> mix32(0), mix32(1), mix32(1)
    (0, 774041739, 774041739)
    >>> int(mix32_array([0, 1, 2])[2]) == mix32(2)
    True
"""
from __future__ import annotations

import numpy as np

MASK32 = 0xFFFF_FFFF
# Shifts and multipliers of the mixer. Any odd multipliers mix; these two were
# picked below 2**31 so that SQL never overflows a BIGINT.
SHIFT1, MULT1, SHIFT2, MULT2, SHIFT3 = 16, 0x7FEB352D, 15, 0x31848BAB, 16
GOLDEN = 0x9E3779B9  # spreads small consecutive numbers (stream 0, 1, 2...) apart


def mix32(x: int) -> int:
    """Mix a 32-bit integer into a pseudo-random 32-bit integer (a bijection)."""
    x &= MASK32
    x ^= x >> SHIFT1
    x = (x * MULT1) & MASK32
    x ^= x >> SHIFT2
    x = (x * MULT2) & MASK32
    x ^= x >> SHIFT3
    return x


def mix32_array(x) -> np.ndarray:
    """``mix32`` applied to every element of an integer array (returns uint64)."""
    x = np.asarray(x, dtype=np.uint64) & np.uint64(MASK32)
    x ^= x >> np.uint64(SHIFT1)
    x = (x * np.uint64(MULT1)) & np.uint64(MASK32)
    x ^= x >> np.uint64(SHIFT2)
    x = (x * np.uint64(MULT2)) & np.uint64(MASK32)
    x ^= x >> np.uint64(SHIFT3)
    return x


MURMUR_MULT = 0xD6E8_FEB8_6659_FD93


def murmur64(x) -> np.ndarray:
    """DuckDB's ``hash()`` of BIGINT values (MurmurHash64), computed in numpy (uint64).

    Big transaction tables take their random bits from ``hash()`` inside DuckDB,
    because it is one fast call per row; this mirror pins down exactly what it
    computes, so a test (and ``transactions.check_engine_hash``) can tell if a
    DuckDB release ever changes it.

        >>> int(murmur64([1])[0])
        4717996019076358352
    """
    x = np.asarray(x, dtype=np.uint64).copy()
    shift, mult = np.uint64(32), np.uint64(MURMUR_MULT)
    with np.errstate(over="ignore"):  # the multiplications wrap around 2**64 on purpose
        x ^= x >> shift
        x *= mult
        x ^= x >> shift
        x *= mult
        x ^= x >> shift
    return x


def stream_key(seed: int, stream: int) -> int:
    """The 32-bit key of one random stream (one column) for one seed.

    Different streams give unrelated numbers for the same row:

        >>> stream_key(42, 0) != stream_key(42, 1)
        True
    """
    mixed_seed = mix32(mix32(seed & MASK32) ^ (seed >> 32))
    return mix32(mixed_seed ^ ((stream + 1) * GOLDEN))


def sql_stages(row: str, streams: dict[str, int]) -> list[str]:
    """Select-lists that compute ``mix32(row XOR key)`` for each named stream.

    Each list is one step of the mixer, to be run as one CTE over the previous
    one: a step refers to a column twice, and a CTE computes it once rather than
    copying the expression (a macro would double its size at every step).

        >>> sql_stages("i", {"r": 7})[0]
        'xor(i, 7) AS r'
    """
    names = list(streams)
    return [
        ", ".join(f"xor({row}, {streams[n]}) AS {n}" for n in names),
        ", ".join(f"(xor({n}, {n} >> {SHIFT1}) * {MULT1}) & {MASK32} AS {n}" for n in names),
        ", ".join(f"(xor({n}, {n} >> {SHIFT2}) * {MULT2}) & {MASK32} AS {n}" for n in names),
        ", ".join(f"xor({n}, {n} >> {SHIFT3}) AS {n}" for n in names),
    ]
