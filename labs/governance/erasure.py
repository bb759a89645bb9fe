"""The right to erasure (GDPR art. 17, CCPA 'delete'), retention and consent, on a small lake in DuckDB.

``fixture_db`` builds the places a customer's data ends up in a real pipeline: raw copies,
curated tables with a token instead of the e-mail, a token vault, derived per-customer tables,
consent records and a mailing list keyed by e-mail as the customer typed it. ``traces`` scans
every column of every table for a subject's identifiers: after a correct erasure it finds nothing.

    >>> from labs.engines import duckdb
    >>> con = duckdb()
    >>> fixture_db(con)
    >>> who = identifiers(con, 7)
    >>> sorted({t for t, _, _ in traces(con, who)})[:3]
    ['consent', 'curated_customers', 'curated_orders']
    >>> counts = erase(con, 7)
    >>> traces(con, who)
    []

Aggregates without identifiers (``daily_revenue``) are not personal data and may stay. With
``keep_facts=True`` the subject's orders stay too, under a NULL customer key: revenue history
keeps adding up, and nothing left points to the person.
"""
from __future__ import annotations

import os
from collections import Counter
from functools import lru_cache

import pandas as pd
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from labs._check import is_number, is_whole
from labs.governance.masking import TokenVault
from labs.governance.matching import sql_contains

LAYERS = {  # table -> layer, for pictures and for the order of deletion (derived first)
    "customer_ltv": "derived", "daily_revenue": "derived",
    "curated_orders": "curated", "curated_customers": "curated", "token_vault": "curated",
    "consent": "raw", "mailing_list": "raw", "raw_clicks": "raw", "raw_orders": "raw", "raw_customers": "raw",
}


@lru_cache(maxsize=2)
def _shop(scale: float, seed: int) -> dict:
    from labs.data import ecommerce

    return ecommerce.tables(scale=scale, seed=seed)


def shop_frames(scale: float = 0.02, seed: int = 42) -> dict:
    """The generated shop tables the fixture is built from (cached: built once per process)."""
    return _shop(float(scale), int(seed))


def fixture_db(con, scale: float = 0.02, seed: int = 42) -> None:
    """Create the raw, curated and derived tables of a small shop (40 customers at the default scale)."""
    t = shop_frames(scale, seed)
    c, o, k = t["customers"], t["orders"], t["clickstream"]
    frames = {
        "raw_customers": c[["customer_id", "name", "email", "phone", "address", "city", "country",
                            "birth_date", "tenant_id", "marketing_opt_in"]],
        "raw_orders": o[["order_id", "customer_id", "order_date", "total_amount", "status"]],
        "raw_clicks": k.loc[k["customer_id"].notna(), ["event_id", "customer_id", "page", "event_time"]].head(2_000),
    }
    for name, frame in frames.items():
        con.register("_f", frame)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _f")
        con.unregister("_f")
    con.execute("DROP TABLE IF EXISTS token_vault")
    vault = TokenVault(con, "token_vault", seed=seed)
    tokens = pd.DataFrame({"customer_id": c["customer_id"], "email_token": vault.tokenize(c["email"])})
    con.register("_tokens", tokens)
    con.execute("""CREATE OR REPLACE TABLE curated_customers AS
        SELECT r.customer_id, t.email_token, r.city, r.country, r.tenant_id, year(r.birth_date) AS birth_year
        FROM raw_customers r JOIN _tokens t USING (customer_id)""")
    con.unregister("_tokens")
    con.execute("""CREATE OR REPLACE TABLE curated_orders AS
        SELECT o.order_id, o.customer_id, o.order_date, o.total_amount, c.country
        FROM raw_orders o JOIN raw_customers c USING (customer_id) WHERE o.status <> 'cancelled'""")
    con.execute("""CREATE OR REPLACE TABLE customer_ltv AS
        SELECT customer_id, count(*) AS orders, round(sum(total_amount), 2) AS revenue
        FROM curated_orders GROUP BY customer_id""")
    con.execute("""CREATE OR REPLACE TABLE daily_revenue AS
        SELECT order_date, country, round(sum(total_amount), 2) AS revenue
        FROM curated_orders GROUP BY order_date, country""")
    con.execute("""CREATE OR REPLACE TABLE consent AS
        SELECT customer_id, 'marketing' AS purpose, marketing_opt_in AS granted,
               TIMESTAMP '2024-01-01' + to_days(CAST(customer_id AS INTEGER)) AS recorded_at
        FROM raw_customers""")
    # An export kept by e-mail as typed at sign-up: no customer_id to join on, mixed case.
    con.execute("""CREATE OR REPLACE TABLE mailing_list AS
        SELECT CASE WHEN customer_id % 2 = 0 THEN upper(substr(email, 1, 1)) || substr(email, 2) ELSE email END AS email,
               DATE '2024-06-01' AS subscribed_on
        FROM raw_customers WHERE marketing_opt_in""")


def identifiers(con, customer_id: int) -> dict:
    """What identifies a subject anywhere: id, e-mail, name, phone and every token of those values."""
    rows = con.execute("SELECT email, name, phone FROM raw_customers WHERE customer_id = ?", [customer_id]).fetchall()
    if not rows:
        return {"customer_id": int(customer_id), "strings": []}
    row = rows[0]
    tokens = [r[0] for r in con.execute("SELECT token FROM token_vault WHERE value IN (?, ?, ?)", list(row)).fetchall()]
    return {"customer_id": int(customer_id), "strings": [v for v in (*row, *tokens) if v]}


def _tables(con) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                       "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
    out: dict = {}
    for table, column, dtype in rows:
        out.setdefault(table, []).append((column, dtype))
    return out


def _match(column: str, dtype: str, who: dict) -> str | None:
    """A SQL predicate true where ``column`` holds one of the subject's identifiers."""
    if dtype in ("VARCHAR", "TEXT") and who["strings"]:
        needles = " OR ".join(sql_contains(f'"{column}"', "?") for _ in who["strings"])
        return f"({needles})"
    if column.endswith("customer_id") and dtype in ("BIGINT", "INTEGER", "HUGEINT", "UBIGINT"):
        return f"\"{column}\" = {int(who['customer_id'])}"
    return None


def traces(con, who: dict) -> list[tuple[str, str, int]]:
    """(table, column, rows) for every column that still holds one of the subject's identifiers."""
    found = []
    for table, columns in _tables(con).items():
        for column, dtype in columns:
            predicate = _match(column, dtype, who)
            if predicate is None:
                continue
            params = who["strings"] if "?" in predicate else []
            n = con.execute(f'SELECT count(*) FROM "{table}" WHERE {predicate}', params).fetchall()[0][0]
            if n:
                found.append((table, column, int(n)))
    return found


def _not_the_subject(columns, who) -> tuple[str, list]:
    preds = [p for c, d in columns if (p := _match(c, d, who))]
    params = [s for p in preds if "?" in p for s in who["strings"]]
    return (f" WHERE NOT coalesce({' OR '.join(preds)}, false)" if preds else ""), params


def other_rows(con, who: dict) -> dict[str, int]:
    """Rows per table that do not mention the subject: an erasure must leave these alone."""
    counts = {}
    for table, columns in _tables(con).items():
        where, params = _not_the_subject(columns, who)
        counts[table] = con.execute(f'SELECT count(*) FROM "{table}"{where}', params).fetchall()[0][0]
    return counts


def snapshot(con, who: dict) -> dict:
    """What an erasure must not disturb, taken before it runs: per table, a fingerprint of every
    row that does not mention the subject, and the rows that belong to other live customers."""
    live = [r[0] for r in con.execute("SELECT customer_id FROM raw_customers WHERE customer_id <> ?",
                                      [who["customer_id"]]).fetchall()]
    rows, owned = {}, {}
    for table, columns in _tables(con).items():
        where, params = _not_the_subject(columns, who)
        # as text, so that a NULL appearing elsewhere in a column cannot change a row's fingerprint
        frame = con.execute(f'SELECT CAST(COLUMNS(*) AS VARCHAR) FROM "{table}"{where}', params).df()
        rows[table] = Counter(pd.util.hash_pandas_object(frame, index=False).tolist()) if len(frame) else Counter()
        if any(c == "customer_id" for c, _ in columns):
            owned[table] = _owned(con, table, live)
    return {"rows": rows, "owned": owned, "live": live}


def disturbed(con, who: dict, before: dict) -> dict:
    """What an erasure changed besides the subject, against ``snapshot`` taken before it:
    ``lost`` rows of others (deleted or altered) per table, and rows ``moved`` to other live
    customers ({table: {"rows": n, "to": [customer ids]}})."""
    after = snapshot(con, who)
    lost = {t: n for t, rows in before["rows"].items()
            if (n := sum((rows - after["rows"].get(t, Counter())).values()))}
    moved = {}
    for t, was in before["owned"].items():
        now = after["owned"].get(t, {})
        gained = {cid: n - was.get(cid, 0) for cid, n in now.items() if n > was.get(cid, 0)}
        if gained:
            moved[t] = {"rows": sum(gained.values()), "to": sorted(gained)}
    return {"lost": lost, "moved": moved}


def _owned(con, table: str, live: list) -> dict[int, int]:
    """Rows per live customer in ``table``."""
    rows = con.execute(f'SELECT customer_id, count(*) FROM "{table}" WHERE customer_id IN (SELECT unnest(?)) '
                       "GROUP BY customer_id", [live]).fetchall()
    return {int(cid): int(n) for cid, n in rows}


FACT_TABLES = ("curated_orders", "raw_orders")  # transactions: anonymised with keep_facts=True


def erase(con, customer_id: int, keep_facts: bool = False) -> dict[str, int]:
    """Erase one customer everywhere, in one transaction; rows deleted (or anonymised) per table.

    Derived tables go first and raw last, so a crash can never leave a derived copy whose
    source is gone (it would be rebuilt with the subject in it). Erasing an unknown or already
    erased customer changes nothing: requests are repeated, and that must be safe.

    ``keep_facts=True`` keeps the subject's orders with a NULL customer_id instead of deleting
    them, so ``daily_revenue`` and every other total still agree with the order tables; the
    personal rows (the customer, clicks, consent, the vault, the mailing list, per-customer
    tables) are deleted either way.
    """
    if not is_whole(customer_id):
        raise ValueError(f"customer_id must be an int; got {type(customer_id).__name__}")
    customer_id = int(customer_id)
    row = con.execute("SELECT email FROM raw_customers WHERE customer_id = ?", [customer_id]).fetchall()
    email = row[0][0] if row else None
    deleted = {}
    con.execute("BEGIN")
    try:
        for table in ("customer_ltv", "curated_orders", "consent", "raw_clicks", "raw_orders"):
            if keep_facts and table in FACT_TABLES:
                sql = f"UPDATE {table} SET customer_id = NULL WHERE customer_id = ? RETURNING 1"
            else:
                sql = f"DELETE FROM {table} WHERE customer_id = ? RETURNING 1"
            deleted[table] = _count(con.execute(sql, [customer_id]))
        deleted["curated_customers"] = _count(con.execute(
            "DELETE FROM curated_customers WHERE customer_id = ? RETURNING 1", [customer_id]))
        if email is not None:
            # The vault row and the mailing list are keyed by the value, not by the id.
            deleted["token_vault"] = _count(con.execute("DELETE FROM token_vault WHERE value = ? RETURNING 1", [email]))
            deleted["mailing_list"] = _count(con.execute(
                "DELETE FROM mailing_list WHERE lower(email) = lower(?) RETURNING 1", [email]))
        deleted["raw_customers"] = _count(con.execute(
            "DELETE FROM raw_customers WHERE customer_id = ? RETURNING 1", [customer_id]))
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return deleted


def _count(cursor) -> int:
    return len(cursor.fetchall())


def apply_retention(con, table: str, column: str, keep_days: int, as_of: str) -> int:
    """Delete rows of ``table`` whose ``column`` is more than ``keep_days`` before ``as_of``; rows deleted."""
    columns = dict(c for c in _tables(con).get(table, []))
    if not columns:
        raise ValueError(f"table must be one of {', '.join(_tables(con))}; got {table!r}")
    if column not in columns:
        raise ValueError(f"column must be one of {', '.join(columns)} (of {table}); got {column!r}")
    if not is_number(keep_days) or keep_days < 0:
        raise ValueError(f"keep_days must be a number of days >= 0, not {keep_days!r}.")
    cutoff = pd.Timestamp(as_of) - pd.Timedelta(days=keep_days)
    return _count(con.execute(f'DELETE FROM "{table}" WHERE "{column}" < ? RETURNING 1', [cutoff.to_pydatetime()]))


def audience(con, purpose: str = "marketing") -> pd.DataFrame:
    """Customers who granted consent for ``purpose``: the only ones an export for it may contain."""
    return con.execute("""SELECT c.customer_id, c.email FROM raw_customers c
                          JOIN consent k USING (customer_id) WHERE k.purpose = ? AND k.granted
                          ORDER BY c.customer_id""", [purpose]).df()


class SubjectKeys:
    """Crypto-shredding: each subject's personal fields are encrypted with the subject's own key.

    Deleting the key (one row) makes every copy unreadable at once: in the lake, in snapshots,
    in backups nobody can rewrite. The key table must itself live outside those backups (or
    the backups keep the key too), and the plaintext must never reach logs, caches or derived
    tables, which the key does not cover.

        >>> keys = SubjectKeys()
        >>> blob = keys.seal(7, "ann@example.com")
        >>> keys.open(7, blob)
        'ann@example.com'
        >>> keys.shred(7)
        True
        >>> keys.open(7, blob) is None
        True
    """

    def __init__(self):
        self._keys: dict[int, bytes] = {}

    def seal(self, subject: int, value: str) -> bytes:
        key = self._keys.setdefault(int(subject), AESGCM.generate_key(bit_length=256))
        nonce = os.urandom(12)
        return nonce + AESGCM(key).encrypt(nonce, value.encode(), str(subject).encode())

    def open(self, subject: int, blob: bytes) -> str | None:
        """The value, or None when the subject's key has been shredded."""
        key = self._keys.get(int(subject))
        if key is None:
            return None
        return AESGCM(key).decrypt(blob[:12], blob[12:], str(subject).encode()).decode()

    def shred(self, subject: int) -> bool:
        return self._keys.pop(int(subject), None) is not None

    def __len__(self):
        return len(self._keys)
