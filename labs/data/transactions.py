"""Card transactions at any size, generated inside DuckDB without Python rows.

A billion rows do not fit in a pandas frame, so this module writes SQL instead:
``sql(n_rows)`` is a DuckDB SELECT that *computes* every row from its number
``txn_id`` and the seed. Nothing is stored until you aggregate it, or ``write()``
it to Parquet.

    >>> from labs.engines import duckdb
    >>> con = duckdb()
    >>> con.execute(f"select count(*), max(txn_id) from ({sql(1_000, seed=7)})").fetchall()
    [(1000, 1000)]

How the randomness works
------------------------
Each row gets two 64-bit random words, ``r_pay`` and ``r_misc``: DuckDB's
``hash()`` of ``txn_id`` plus a per-seed, per-word offset. ``hash()`` of a BIGINT
is a fixed 64-bit mixer (MurmurHash64, mirrored in numpy by ``_hash.murmur64``),
so the same seed gives the same rows on every machine and in every thread, and
any slice of rows can be computed on its own. A test pins the mixer, and
``write()`` refuses to run if a DuckDB release ever changes it.

One hash call is far cheaper than mixing by hand in SQL, and its 64 bits are
split into fields, each an independent draw::

    r_pay:   bits 0-22 merchant, bits 23-31 fraud flag, bits 32-61 amount
    r_misc:  bits 0-31 customer, bits 32-41 currency, bits 42-51 status

The usual question (amounts by day and merchant) needs only ``r_pay``; with one
``range()`` per day (see ``_row_source``) that keeps a billion rows, made and
aggregated, near a minute on two cores (``benchmarks/bench_data.py``).

How merchant skew works (``skew=s``)
------------------------------------
Real merchants are far from equal: a few take a large share of all payments. With
``skew=s`` the merchant of a row follows a Zipf-like law, P(merchant k) roughly
proportional to ``k ** -s``. It is drawn by *inverse transform sampling*: turn the
23 merchant bits into a uniform number ``u`` in [0, 1) (steps of 2**-23, fine
enough for the rarest merchant's 0.0007%), then invert the cumulative
distribution of the continuous density ``x ** -s`` on [0.5, M + 0.5] and round to
the nearest merchant. The inverse has a closed form, so every row costs a few
multiplications and no join::

    x = (a + u * (b - a)) ** (1 / (1 - s)),  a = 0.5 ** (1 - s),  b = (M + 0.5) ** (1 - s)

(for ``s == 1`` the same idea gives ``x = 0.5 * ((M + 0.5) / 0.5) ** u``). The
probability of merchant ``k`` is the area of the density between ``k - 0.5`` and
``k + 0.5``, which is within a few percent of ``k ** -s`` normalised. With
``skew=1.1`` and 10,000 merchants, merchant 1 takes about 16% of all rows;
without skew every merchant takes 0.01%.

When ``1 / (1 - s)`` is a whole number (``s`` = 1.1, 1.2, 1.25, 1.5, 2, or 0.5,
0.75, 0.9...) the power is written as repeated multiplication: IEEE arithmetic,
the same on every machine. Other exponents call ``pow()`` (and ``s == 1`` calls
``exp()``) from the C library, which another platform could round differently in
the last bit: one row in about a trillion could then get a neighbouring merchant.
The same holds for ``exp()`` in ``amount``; the other columns are exact integer
arithmetic.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from labs import _atomic
from labs._check import is_number, is_whole, whole
from labs.data._checks import check_seed, scaled
from labs.data._hash import MASK32, murmur64, sql_stages, stream_key
from labs.engines import duckdb

# All transactions fall in 2024 (a leap year: 366 days), spread evenly in txn_id order.
DAY_MICROS = 24 * 3600 * 1_000_000
START_MICROS = 19_723 * DAY_MICROS  # 2024-01-01 00:00 UTC, in microseconds since 1970
YEAR_MICROS = 366 * DAY_MICROS
MAX_ROWS = MASK32  # txn_id stays below the stream offsets (multiples of 2**32)
DEFAULT_MERCHANTS = 10_000
COLUMNS = ("txn_id", "ts", "txn_date", "merchant_id", "customer_id", "amount",
           "currency", "status", "is_fraud")
# The two random words of a row; the number is part of the word's key, so adding
# a word later never changes the existing columns.
STREAMS = {"r_pay": 0, "r_misc": 1}
MERCHANT_BITS = 23  # bits 0-22 of r_pay
FRAUD_BITS = 9      # bits 23-31 of r_pay: all zero for 1 row in 512 (0.2%)
# Currency and status each read a 10-bit field of r_misc (values 0-1023). A row takes the
# first category whose cumulative share, as a cut-off out of 1024, its field is below.
FIELD_VALUES = 1 << 10
CURRENCY_SHARES = (("USD", 0.70), ("EUR", 0.90), ("GBP", 1.00))              # 70%, 20%, 10%
STATUS_SHARES = (("approved", 0.95), ("declined", 0.99), ("reversed", 1.00))  # 95%, 4%, 1%
FRAUD_DECLINED_SHARE = 0.40  # a fraud row is declined outright when its status field is below 40%
# Above this many rows (in parallel mode) each day gets its own range(), cut into
# pieces of at most 1/BRANCHES of the rows: a single range() is read by one thread.
PARALLEL_FROM = 1_000_000
BRANCHES = 16
# The data set written by labs.data.generate("transactions", scale):
ROWS_PER_SCALE = 100_000
DATASET_SKEW = 1.1
PART_ROWS = 10_000_000


def stream_offset(seed: int, number: int) -> int:
    """What ``txn_id`` is shifted by before hashing, for one seed and one word.

    A multiple of 2**32, so the hashed numbers of two words or two seeds never
    meet while ``txn_id`` stays below 2**32; below 2**63, so it is a BIGINT.

        >>> stream_offset(42, 0) % 2**32, stream_offset(42, 0) != stream_offset(42, 1)
        (0, True)
    """
    return (stream_key(seed, number) & 0x7FFF_FFFF) << 32


def check_engine_hash(con) -> None:
    """Raise if this DuckDB's ``hash()`` is not the mixer the rows are defined by.

    A DuckDB release that changed ``hash()`` would silently change every generated
    transaction; this check turns that into one clear error before writing.

        >>> from labs.engines import duckdb
        >>> check_engine_hash(duckdb())
    """
    probe = [1, 12_345, 2**40 + 7]
    query = "SELECT " + ", ".join(f"hash(CAST({x} AS BIGINT))" for x in probe)
    if list(con.execute(query).fetchall()[0]) != [int(h) for h in murmur64(probe)]:
        raise RuntimeError("this DuckDB's hash() is not MurmurHash64, so generated transactions would "
                           "differ from everyone else's: install a DuckDB version the kit supports "
                           "(see pyproject.toml).")


def default_customers(n_rows: int) -> int:
    """About 50 transactions per customer, at least 1,000 customers.

        >>> default_customers(1_000_000)
        20000
    """
    return max(1_000, n_rows // 50)


def sql(n_rows: int, seed: int = 42, skew: float | None = None, *,
        n_merchants: int = DEFAULT_MERCHANTS, n_customers: int | None = None,
        start: int = 0, stop: int | None = None, parallel: bool = True) -> str:
    """A DuckDB SELECT producing ``n_rows`` transactions (columns in ``COLUMNS``).

    - ``txn_id``: 1..n_rows; ``ts``: TIMESTAMPTZ in 2024 (UTC), rising with txn_id;
      ``txn_date``: the UTC date of ``ts`` (a DATE, handy for partitioning);
    - ``merchant_id``: 1..n_merchants, uniform, or Zipf-skewed with ``skew``;
    - ``customer_id``: 1..n_customers, uniform; ``amount``: DECIMAL(12,2), log-normal-ish,
      median about 33, fraud about 7x larger;
    - ``currency``: USD 70%, EUR 20%, GBP 10%; ``status``: approved 95%, declined 4%,
      reversed 1% (fraud rows are declined about 43% of the time); ``is_fraud``: 0.2% of rows.

    ``parallel=True`` lets every DuckDB thread generate rows (fast, but rows come
    out in no fixed order); ``parallel=False`` keeps ``txn_id`` order, which
    ``write()`` needs for identical bytes on every run. ``start``/``stop`` select
    a slice ``txn_id in (start, stop]`` of the *same* table, so it can be written
    in parts:

        >>> from labs.engines import duckdb
        >>> con = duckdb()
        >>> whole = con.sql(sql(100, seed=1)).fetchall()
        >>> part = con.sql(sql(100, seed=1, start=50)).fetchall()
        >>> whole[50:] == part
        True
    """
    n_rows, seed = _check_rows(n_rows), check_seed(seed)
    stop = n_rows if stop is None else stop
    if not (is_whole(start) and is_whole(stop) and 0 <= start <= stop <= n_rows):
        raise ValueError(f"need 0 <= start <= stop <= n_rows, got start={start!r}, stop={stop!r}.")
    n_merchants = whole(n_merchants, "n_merchants", at_least=1)
    n_customers = whole(default_customers(n_rows) if n_customers is None else n_customers,
                        "n_customers", at_least=1)

    words = ", ".join(f"hash(txn_id + {stream_offset(seed, number)}) AS {name}"
                      for name, number in STREAMS.items())
    ctes = [f"txn_rows AS (\n    {_row_source(start, stop, n_rows, parallel)}\n)",
            f"mixed AS (SELECT txn_id, day_no, {words} FROM txn_rows)"]
    previous = "mixed"
    base, merchant = _merchant_sql(n_merchants, skew)
    if base:
        ctes.append(f"skewed AS (SELECT *, {base} AS zipf_base FROM mixed)")
        previous = "skewed"

    columns = {
        "txn_id": "txn_id",
        "ts": _ts_sql(n_rows),
        "txn_date": "DATE '2024-01-01' + day_no",
        "merchant_id": merchant,
        "customer_id": f"CAST(1 + (r_misc & {MASK32}) % {n_customers} AS BIGINT)",
        "amount": _amount_sql(),
        "currency": _categories(_CURRENCY, CURRENCY_SHARES, " "),
        "status": _categories(_STATUS, STATUS_SHARES, "\n         ",
                              f"WHEN {_FRAUD} AND {_STATUS} < {_cut(FRAUD_DECLINED_SHARE)} THEN 'declined'"),
        "is_fraud": _FRAUD,
    }
    select = ",\n".join(f"    {expr if expr == name else f'{expr} AS {name}'}" for name, expr in columns.items())
    return "WITH\n" + ",\n".join(ctes) + "\nSELECT\n" + select + f"\nFROM {previous}"


# The bit fields of the two words (see the module docstring).
_CURRENCY = "((r_misc >> 32) & 1023)"
_STATUS = "((r_misc >> 42) & 1023)"
_FRAUD = f"(r_pay & {((1 << FRAUD_BITS) - 1) << MERCHANT_BITS}) = 0"


def _ts_sql(n_rows: int) -> str:
    """``ts`` from epoch microseconds: exact, fast, and independent of the session time zone."""
    micros = f"({START_MICROS} + {_offset_micros('txn_id', n_rows)})"
    return f"to_timestamp({micros} / {_dbl(1e6)})"


def _amount_sql() -> str:
    """``amount``: log-normal-ish, fraud about 7x (e**2) larger, rounded to the cent.

    Irwin-Hall: the sum of three 10-bit uniforms is close to a normal curve, with mean
    1534.5 and standard deviation 512. The amount is exp(3.5 + 2.2 * z) for that normal
    z, written as one multiply-add on the sum. Float literals are typed DOUBLE on purpose:
    DuckDB reads ``1.5`` as a DECIMAL, and DECIMAL arithmetic on a billion rows is many
    times slower. Casting the DOUBLE to DECIMAL rounds to the nearest cent (faster than round()).
    """
    uniforms = "(((r_pay >> 32) & 1023) + ((r_pay >> 42) & 1023) + ((r_pay >> 52) & 1023))"
    log_amount = f"{_dbl(3.5 - 2.2 * 1534.5 / 1024)} + {_dbl(2.2 / 1024)} * {uniforms}"
    fraud_boost = f"CASE WHEN {_FRAUD} THEN {_dbl(2.0)} ELSE {_dbl(0.0)} END"
    return f"CAST(exp({log_amount} + {fraud_boost}) AS DECIMAL(12, 2))"


def _cut(share: float) -> int:
    """A cumulative share as a cut-off of a 10-bit field: ``_cut(0.70)`` is 717 of 1024.

        >>> _cut(0.70), _cut(0.90), _cut(0.99)
        (717, 922, 1014)
    """
    return round(share * FIELD_VALUES)


def _categories(field: str, shares, separator: str, first: str = "") -> str:
    """A CASE giving each row the first category whose cut-off its ``field`` is below.

    ``shares`` are cumulative, the last category takes the rest; ``first`` is an extra
    WHEN tried before them.

        >>> _categories("f", (("a", 0.5), ("b", 1.0)), " ")
        "CASE WHEN f < 512 THEN 'a' ELSE 'b' END"
    """
    *cuts, (last, _) = shares
    whens = [first] if first else []
    whens += [f"WHEN {field} < {_cut(share)} THEN '{name}'" for name, share in cuts]
    return "CASE " + separator.join([*whens, f"ELSE '{last}' END"])


def merchants_sql(n_merchants: int = DEFAULT_MERCHANTS, seed: int = 42) -> str:
    """A DuckDB SELECT of the merchant dimension: merchant_id, name, category, country.

        >>> from labs.engines import duckdb
        >>> duckdb().sql(merchants_sql(3, seed=1)).columns
        ['merchant_id', 'name', 'category', 'country']
    """
    n_merchants, seed = whole(n_merchants, "n_merchants", at_least=1), check_seed(seed)
    keys = {"r_name": stream_key(seed, 100), "r_kind": stream_key(seed, 101)}
    stages = sql_stages("merchant_id", keys)
    ctes = [f"m0 AS (SELECT CAST(range AS BIGINT) AS merchant_id FROM range(1, {n_merchants + 1}))"]
    for number, select_list in enumerate(stages, start=1):
        ctes.append(f"m{number} AS (SELECT merchant_id, {select_list} FROM m{number - 1})")
    first = _sql_list(["Blue", "Green", "Golden", "Silver", "Urban", "Royal", "Happy", "Swift",
                       "Bright", "North", "Old", "Little"])
    second = _sql_list(["Harbor", "Corner", "Garden", "Market", "Valley", "Bridge", "Oak",
                        "River", "Street", "Lane", "Hill", "Square"])
    kinds = _sql_list(["grocery", "restaurant", "fuel", "electronics", "fashion", "travel",
                       "pharmacy", "entertainment"])
    countries = _sql_list(["US", "US", "US", "GB", "DE", "FR", "ES", "NL"])
    return (
        "WITH " + ",\n".join(ctes) + "\n"
        "SELECT CAST(merchant_id AS INTEGER) AS merchant_id,\n"
        f"    {first}[1 + r_name % 12] || ' ' || {second}[1 + (r_name >> 8) % 12]"
        " || ' #' || merchant_id AS name,\n"
        f"    {kinds}[1 + r_kind % 8] AS category,\n"
        f"    {countries}[1 + (r_kind >> 8) % 8] AS country\n"
        f"FROM m{len(stages)} ORDER BY merchant_id"
    )


def write(n_rows: int, path, seed: int = 42, skew: float | None = None,
          partition_by=None, *, n_merchants: int = DEFAULT_MERCHANTS,
          n_customers: int | None = None, con=None) -> Path:
    """Write ``sql(n_rows, seed, skew)`` to Parquet with DuckDB ``COPY``; return the path.

    ``partition_by=None`` writes one file at ``path``. ``partition_by="day"`` (or any
    column name, or a list of them; "day" means ``txn_date``) writes a hive-style
    folder ``path/txn_date=2024-01-01/...``. The output appears only when complete:
    DuckDB writes under a temporary name in the same folder, then it is renamed.
    Rows are written in ``txn_id`` order, so the same arguments give the same
    bytes; that keeps the writer on one thread (about 1-2 million rows a second).

        >>> import pathlib, shutil, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> write(1_000, folder / "t.parquet", seed=1).name
        't.parquet'
        >>> shutil.rmtree(folder)
    """
    query = sql(n_rows, seed, skew, n_merchants=n_merchants, n_customers=n_customers, parallel=False)
    con = con or duckdb()
    check_engine_hash(con)
    return copy_to_parquet(query, path, partition_by=partition_by, con=con)


def write_dataset(folder: Path, scale: float, seed: int, bar) -> dict[str, dict]:
    """Write the ``transactions`` data set into ``folder``; return {table: {"path", "format", "rows"}}.

    ``scale * ROWS_PER_SCALE`` rows with merchant skew ``DATASET_SKEW``, as
    ``transactions/part-00000.parquet``... (``PART_ROWS`` rows each, in txn_id
    order), the same rows as ``transactions_by_day/txn_date=YYYY-MM-DD/`` for
    partition pruning, and the ``merchants`` dimension.
    """
    n_rows = _dataset_rows(scale)
    con = duckdb()
    check_engine_hash(con)
    plain, by_day = folder / "transactions", folder / "transactions_by_day"
    plain.mkdir()
    by_day.mkdir()
    bounds = list(range(0, n_rows, PART_ROWS)) + [n_rows]

    def write_part(number: int) -> None:
        # One cursor per thread: each COPY reads its own ordered range.
        query = sql(n_rows, seed, DATASET_SKEW, start=bounds[number], stop=bounds[number + 1],
                    parallel=False)
        part = _sql_path(plain / f"part-{number:05d}.parquet")
        with con.cursor() as cursor:
            cursor.execute(f"COPY ({query}) TO '{part}' (FORMAT parquet, COMPRESSION zstd)")
            # Each part adds its own files to the day folders (names carry the part number).
            cursor.execute(f"COPY ({query}) TO '{_sql_path(by_day)}' (FORMAT parquet, COMPRESSION zstd,"
                           f" PARTITION_BY (txn_date), FILENAME_PATTERN 'part-{number:05d}-{{i}}',"
                           " OVERWRITE_OR_IGNORE)")
        bar.update(1)

    with ThreadPoolExecutor(max_workers=min(len(bounds) - 1, os.cpu_count() or 2)) as pool:
        list(pool.map(write_part, range(len(bounds) - 1)))
    merchants = _sql_path(folder / "merchants.parquet")
    con.execute(f"COPY ({merchants_sql(DEFAULT_MERCHANTS, seed)}) TO '{merchants}'"
                " (FORMAT parquet, COMPRESSION zstd)")
    con.close()
    bar.update(1)
    return {
        "transactions": {"path": "transactions", "format": "parquet (folder of parts)", "rows": n_rows},
        "transactions_by_day": {"path": "transactions_by_day", "format": "parquet (hive: txn_date=)",
                                "rows": n_rows},
        "merchants": {"path": "merchants.parquet", "format": "parquet", "rows": DEFAULT_MERCHANTS},
    }


def steps(scale: float) -> int:
    """Progress steps of ``write_dataset``: one per part, one for merchants."""
    return -(-_dataset_rows(scale) // PART_ROWS) + 1


def _dataset_rows(scale: float) -> int:
    n_rows = scaled(ROWS_PER_SCALE, scale)
    if n_rows > MAX_ROWS:
        raise ValueError(f"scale {scale:g} would make {n_rows:,} transactions; the data set stops at "
                         f"{MAX_ROWS:,} rows (scale {MAX_ROWS // ROWS_PER_SCALE:,}).")
    return n_rows


def copy_to_parquet(query: str, path, partition_by=None, con=None) -> Path:
    """Run ``COPY (query) TO path`` as Parquet, atomically (temp name, then rename)."""
    path = Path(path)
    columns = _partition_columns(partition_by)
    con = con or duckdb()
    options = ["FORMAT parquet", "COMPRESSION zstd"]
    if columns:
        options.append(f"PARTITION_BY ({', '.join(columns)})")
    with _atomic.replacing(path) as tmp:  # DuckDB writes a file or a folder of parts at tmp
        con.execute(f"COPY ({query}) TO '{_sql_path(tmp)}' ({', '.join(options)})")
    return path


def _row_source(start: int, stop: int, n_rows: int, parallel: bool) -> str:
    """Rows ``txn_id`` start+1 .. stop with ``day_no``, their day of 2024 (0-365).

    In parallel mode every day is its own ``range()``, glued with UNION ALL, and
    ``day_no`` is a constant of its branch. That does two jobs: a range() is read
    by one thread only, so many branches keep every thread busy; and a constant
    costs nothing per row, where computing the date from the timestamp cost about
    a seventh of the time to make and aggregate a billion rows. Days longer than a
    fair share of the rows are cut further. The serial mode computes the day from
    the timestamp instead; ``_day_starts`` makes sure both give the same day.
    """
    count = stop - start
    if not (parallel and count >= PARALLEL_FROM):
        day = f"CAST({_offset_micros('range', n_rows)} // {DAY_MICROS} AS INTEGER)"
        return f"SELECT range AS txn_id, {day} AS day_no FROM range({start + 1}, {stop + 1})"
    piece = -(-count // BRANCHES)
    starts = _day_starts(n_rows)
    parts = []
    for day, (first, last) in enumerate(zip(starts, starts[1:])):
        lo, hi = max(first, start), min(last, stop)
        for cut in range(lo, hi, piece):
            parts.append(f"SELECT range AS txn_id, {day} AS day_no"
                         f" FROM range({cut + 1}, {min(cut + piece, hi) + 1})")
    return "\n    UNION ALL ".join(parts)


def _offset_micros(txn_id: str, n_rows: int) -> str:
    """Microseconds from 2024-01-01 to the row's ``ts``: rows are spread evenly over the year."""
    step = YEAR_MICROS / n_rows if n_rows else 0.0
    return f"CAST(floor(({txn_id} - 1) * {_dbl(step)}) AS BIGINT)"


def _day_starts(n_rows: int) -> list[int]:
    """How many rows come before each day of 2024, and ``n_rows`` at the end (367 numbers).

    Row ``i`` is on day ``d`` when ``floor((i - 1) * step) // DAY_MICROS == d``.
    Python floats are the same IEEE doubles as DuckDB's, so the first row of a
    day is found exactly: the smallest ``k = i - 1`` with ``k * step >= d * DAY_MICROS``.

        >>> starts = _day_starts(366_000)
        >>> len(starts), starts[:3], starts[-1]
        (367, [0, 1000, 2000], 366000)
    """
    step = YEAR_MICROS / n_rows if n_rows else 0.0
    starts = []
    for day in range(366):
        edge = day * DAY_MICROS
        k = min(n_rows, int(edge / step)) if step else 0
        while k > 0 and (k - 1) * step >= edge:
            k -= 1
        while k < n_rows and k * step < edge:
            k += 1
        starts.append(k)
    return starts + [n_rows]


def _merchant_sql(n_merchants: int, skew) -> tuple[str | None, str]:
    """(expression of an extra ``zipf_base`` column or None, merchant_id expression)."""
    if skew is None:
        return None, f"CAST(1 + (r_pay & {(1 << MERCHANT_BITS) - 1}) % {n_merchants} AS INTEGER)"
    if not (is_number(skew) and skew > 0):
        raise ValueError(f"skew must be None or a positive Zipf exponent such as 1.1, not {skew!r}.")
    s = float(skew)
    # Uniform in [0, 1): the merchant bits times 2**-23 (exact, and cheaper than dividing).
    u = f"((r_pay & {(1 << MERCHANT_BITS) - 1}) * {_dbl(2.0 ** -MERCHANT_BITS)})"
    lo, hi = 0.5, n_merchants + 0.5
    if abs(s - 1.0) < 1e-9:
        base, x = u, f"{_dbl(lo)} * exp(zipf_base * {_dbl(math.log(hi / lo))})"
    else:
        a, b = lo ** (1 - s), hi ** (1 - s)
        base, x = f"{_dbl(a)} + {u} * {_dbl(b - a)}", _power("zipf_base", 1 / (1 - s))
    # Clamp guards the two ends against rounding; the middle never needs it.
    return base, f"CAST(least(greatest(round({x}), 1), {n_merchants}) AS INTEGER)"


def _power(column: str, exponent: float) -> str:
    """``column ** exponent`` in SQL; whole exponents become plain multiplication.

    For skew 1.1 the exponent is -10: a few multiplications and a division are
    several times faster than ``pow()`` and exact on every machine (IEEE
    arithmetic, no C-library function). The product is built by repeated
    squaring; DuckDB computes each repeated sub-product once.

        >>> _power("y", -3.0)
        'CAST(1.0 AS DOUBLE) / ((y * y) * y)'
        >>> _power("y", 2.5)
        'pow(y, CAST(2.5 AS DOUBLE))'
    """
    whole = round(exponent)
    if abs(exponent - whole) > 1e-9 or not 1 <= abs(whole) <= 16:
        return f"pow({column}, {_dbl(exponent)})"
    product = _product(column, abs(whole))
    return f"{_dbl(1.0)} / {product}" if whole < 0 else product


def _product(column: str, times: int) -> str:
    """``column`` multiplied by itself ``times`` times, by squaring.

        >>> _product("y", 5)
        '(((y * y) * (y * y)) * y)'
    """
    if times == 1:
        return column
    half = _product(column, times // 2)
    square = f"({half} * {half})"
    return square if times % 2 == 0 else f"({square} * {column})"


def _partition_columns(partition_by) -> list[str]:
    if partition_by is None:
        return []
    names = [partition_by] if isinstance(partition_by, str) else list(partition_by)
    names = ["txn_date" if name == "day" else name for name in names]
    for name in names:
        if name not in COLUMNS:
            raise ValueError(f"cannot partition by {name!r}: choose from 'day' or {', '.join(COLUMNS)}.")
    return names


def _check_rows(n_rows) -> int:
    if isinstance(n_rows, float) and n_rows.is_integer():
        n_rows = int(n_rows)  # 1e9 is a natural way to write a billion
    if not (is_whole(n_rows) and 0 <= n_rows <= MAX_ROWS):
        raise ValueError(f"n_rows must be a whole number from 0 to {MAX_ROWS:,}, not {n_rows!r}.")
    return int(n_rows)


def _dbl(value: float) -> str:
    return f"CAST({float(value)!r} AS DOUBLE)"


def _sql_list(words: list[str]) -> str:
    return "[" + ", ".join(f"'{w}'" for w in words) + "]"


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
