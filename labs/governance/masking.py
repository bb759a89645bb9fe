"""Masking, pseudonyms, tokens, generalisation and k-anonymity on the shop's customers.

Three ways to hide a value, from weakest to strongest link to the original:

- **masking** keeps a readable hint and hides the rest: ``***@example.com``;
- **pseudonymisation** replaces the value by a stable stand-in: a keyed hash (HMAC-SHA256, one
  secret key) or a random token kept in a vault table. The same input gives the same stand-in, so
  joins still work; whoever holds the key (or the vault) can link it back, so it is still personal
  data under GDPR;
- **anonymisation** (generalisation, suppression) makes rows indistinguishable from each other:
  measured by k-anonymity over the quasi-identifiers, paid for in information loss. k-anonymity
  alone does not make data anonymous: a class whose rows share a sensitive value gives it away
  (``l_diversity``), and published counts need noise with a guarantee (``laplace_count``).

    >>> mask_email("nadia.jensen1@mail.example.com")
    '***@mail.example.com'
    >>> pseudonym(" Nadia.Jensen1@Example.com", b"k1") == pseudonym("nadia.jensen1@example.com", b"k1")
    True
    >>> age_band(37, 10), truncate_zip("94107", 3)
    ('30-39', '941**')
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import random
import secrets
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from labs._check import is_number

AS_OF = pd.Timestamp("2025-01-01")  # ages are computed on a fixed day, so results never drift
QUASI_IDENTIFIERS = ("age", "city", "segment")
REGIONS = {"US": "Americas", "CA": "Americas", "BR": "Americas", "GB": "Europe", "DE": "Europe",
           "FR": "Europe", "ES": "Europe", "NL": "Europe", "PL": "Europe", "AU": "Asia-Pacific",
           "JP": "Asia-Pacific", "SG": "Asia-Pacific", "IN": "Asia-Pacific"}
LOCATION_LEVELS = ("city", "country", "region", "*")
SUPPRESSED = "*"


# --- masking ----------------------------------------------------------------------------------

def mask_email(email: str | None) -> str | None:
    """Hide the mailbox, keep the domain (useful for support, useless to identify)."""
    if email is None or pd.isna(email):
        return None
    at = email.find("@")
    return "***" + (email[at:] if at >= 0 else "")


def mask_phone(phone: str | None, keep: int = 4) -> str | None:
    """Keep only the last ``keep`` digits: enough for 'is this your number ending 0360?'."""
    if phone is None or pd.isna(phone):
        return None
    digits = "".join(ch for ch in phone if ch.isdigit())
    return "***" + digits[-keep:]


# --- pseudonyms -------------------------------------------------------------------------------

def normalise_email(email: str) -> str:
    """Trim and lower-case: two spellings of one address must give one pseudonym."""
    return email.strip().lower()


def pseudonym(value: str, key: bytes) -> str:
    """HMAC-SHA256 of the normalised value under a secret key, as hex.

    A plain SHA-256 is no protection for e-mails or phone numbers: anyone can hash a list of
    candidates and match. With a key, only the key holder can; rotating or destroying the key
    breaks the link for everyone.
    """
    if not isinstance(key, (bytes, bytearray)) or len(key) == 0:
        raise ValueError("key must be non-empty bytes (a secret from a key manager, never a literal in code)")
    return hmac.new(bytes(key), normalise_email(value).encode(), hashlib.sha256).hexdigest()


class TokenVault:
    """Random tokens for sensitive values, kept in a vault table (DuckDB) only a few may read.

    Unlike a keyed hash a token says nothing about its value: without the vault it is noise.
    Deleting a value's vault row breaks every copy's link to the value (erasure help); the token
    still links the subject's rows to each other, so those rows stay pseudonymous data.

        >>> from labs.engines import duckdb
        >>> vault = TokenVault(duckdb(), seed=7)
        >>> t = vault.tokenize(["ann@example.com", "bo@example.com", "ann@example.com"])
        >>> t[0] == t[2], t[0] != t[1], vault.detokenize([t[1]])
        (True, True, ['bo@example.com'])
    """

    def __init__(self, con, table: str = "token_vault", seed: int | None = None):
        self.con, self.table = con, table
        # A seed makes tokens repeatable for lessons; production draws from `secrets`.
        self._rng = random.Random(seed) if seed is not None else None
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} (token VARCHAR PRIMARY KEY, value VARCHAR UNIQUE)")

    def _new_token(self) -> str:
        raw = self._rng.getrandbits(64).to_bytes(8, "big").hex() if self._rng else secrets.token_hex(8)
        return "tok_" + raw

    def tokenize(self, values) -> list[str]:
        values = list(values)
        known = dict(self.con.execute(
            f"SELECT value, token FROM {self.table} WHERE value IN (SELECT unnest(?))", [values]).fetchall())
        fresh = [v for v in dict.fromkeys(values) if v not in known]
        new_rows = [(self._new_token(), v) for v in fresh]
        if new_rows:
            # One set-based insert: executemany goes row by row and is ~100x slower.
            self.con.register("_new_tokens", pd.DataFrame(new_rows, columns=["token", "value"]))
            try:
                self.con.execute(f"INSERT INTO {self.table} SELECT token, value FROM _new_tokens")
            finally:
                self.con.unregister("_new_tokens")
            known.update({v: t for t, v in new_rows})
        return [known[v] for v in values]

    def detokenize(self, tokens) -> list[str | None]:
        tokens = list(tokens)
        found = dict(self.con.execute(
            f"SELECT token, value FROM {self.table} WHERE token IN (SELECT unnest(?))", [tokens]).fetchall())
        return [found.get(t) for t in tokens]

    def forget(self, value: str) -> int:
        """Delete a value's vault row: no copy of the token leads back to the value any more."""
        return len(self.con.execute(f"DELETE FROM {self.table} WHERE value = ? RETURNING token", [value]).fetchall())


# --- policies ---------------------------------------------------------------------------------

METHODS = {
    "keep": lambda s, **_: s,
    "drop": None,  # the column is removed
    "mask_email": lambda s, **_: s.map(mask_email),
    "mask_phone": lambda s, **_: s.map(mask_phone),
    "pseudonym": lambda s, key, **_: s.map(lambda v: None if pd.isna(v) else pseudonym(v, key)),
    "year_only": lambda s, **_: pd.to_datetime(s).dt.year,
}


def apply_policy(frame: pd.DataFrame, policy: dict[str, str], key: bytes | None = None) -> pd.DataFrame:
    """A new frame with each column treated as ``policy`` says; columns not named are kept.

    The whole policy is validated before anything is computed, so a typo never yields a
    half-masked table.

        >>> df = pd.DataFrame({"email": ["a@x.org"], "city": ["Paris"]})
        >>> apply_policy(df, {"email": "mask_email"})["email"].tolist()
        ['***@x.org']
        >>> apply_policy(df, {"e_mail": "mask_email"})
        Traceback (most recent call last):
        ...
        ValueError: policy names unknown column(s) 'e_mail'; the columns are: email, city
    """
    unknown = [c for c in policy if c not in frame.columns]
    if unknown:
        raise ValueError(f"policy names unknown column(s) {', '.join(map(repr, unknown))}; "
                         f"the columns are: {', '.join(frame.columns)}")
    bad = {c: m for c, m in policy.items() if m not in METHODS}
    if bad:
        raise ValueError(f"unknown method(s) {', '.join(f'{c}={m!r}' for c, m in bad.items())}; "
                         f"allowed: {', '.join(METHODS)}")
    if "pseudonym" in policy.values() and not key:
        raise ValueError("method 'pseudonym' needs key=<secret bytes>")
    out = frame.copy()
    for column, method in policy.items():
        if method == "drop":
            out = out.drop(columns=column)
        else:
            out[column] = METHODS[method](out[column], key=key)
    return out


# --- generalisation ---------------------------------------------------------------------------

def age_band(age: int, width: int) -> str:
    """'30-39' for width 10; width 1 keeps the age; width 0 or less suppresses it."""
    if width <= 0:
        return SUPPRESSED
    if width == 1:
        return str(int(age))
    low = int(age) // width * width
    return f"{low}-{low + width - 1}"


def truncate_zip(zip_code: str, keep: int) -> str:
    """Keep the first ``keep`` characters of a postal code: '94107' -> '941**'."""
    return zip_code[:keep] + "*" * (len(zip_code) - keep)


def people(n: int = 1_000, seed: int = 42) -> pd.DataFrame:
    """Quasi-identifiers of ``n`` shop customers: age (on 2025-01-01), city, country, segment.

    Indexed by customer_id; the same rows as ``labs.data.ecommerce.tables(...)['customers']``
    with as many customers (only the customers are generated, which is much faster).
    """
    return _people(int(n), int(seed)).copy()


@lru_cache(maxsize=4)
def _people(n: int, seed: int) -> pd.DataFrame:
    from labs.data import ecommerce

    c = ecommerce._customers(n, ecommerce._rng(seed, 1))
    born = pd.to_datetime(c["birth_date"])
    age = AS_OF.year - born.dt.year - ((born.dt.month > AS_OF.month) |
                                       ((born.dt.month == AS_OF.month) & (born.dt.day > AS_OF.day)))
    return pd.DataFrame({"age": age.astype(int), "city": c["city"], "country": c["country"],
                         "segment": c["segment"]}).set_index(c["customer_id"].rename("customer_id"))


@dataclass(frozen=True)
class Scheme:
    """One point of the generalisation lattice."""
    age_width: int = 1          # 1: exact; 5, 10, 20: bands; 0: suppressed
    location: str = "city"      # city, country, region or *
    segment: bool = True        # keep the segment, or suppress it
    suppress_below: int = 0     # drop rows whose class stays smaller than this (0: drop none)

    def label(self) -> str:
        age = {0: "age *", 1: "age"}.get(self.age_width, f"age/{self.age_width}")
        seg = "segment" if self.segment else "segment *"
        drop = f", suppress <{self.suppress_below}" if self.suppress_below else ""
        return f"{age}, {self.location}, {seg}{drop}"


def generalise(people_df: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Release the quasi-identifiers (age, city, segment) generalised as ``scheme`` says.

    Rows in classes smaller than ``scheme.suppress_below`` are dropped (suppressed).
    """
    if scheme.location not in LOCATION_LEVELS:
        raise ValueError(f"location must be one of {', '.join(LOCATION_LEVELS)}; got {scheme.location!r}")
    out = pd.DataFrame(index=people_df.index)
    out["age"] = [age_band(a, scheme.age_width) for a in people_df["age"]]
    if scheme.location == "city":
        out["city"] = people_df["city"]
    elif scheme.location == "country":
        out["city"] = people_df["country"]
    elif scheme.location == "region":
        out["city"] = people_df["country"].map(REGIONS).fillna("other")
    else:
        out["city"] = SUPPRESSED
    out["segment"] = people_df["segment"] if scheme.segment else SUPPRESSED
    if scheme.suppress_below:
        sizes = out.groupby(list(QUASI_IDENTIFIERS))["age"].transform("size")
        out = out[sizes >= scheme.suppress_below]
    return out


def class_sizes(released: pd.DataFrame, qis=QUASI_IDENTIFIERS) -> pd.Series:
    """How many rows share each combination of quasi-identifier values (equivalence classes)."""
    return released.groupby(list(qis), dropna=False).size().sort_values()


def k_anonymity(released: pd.DataFrame, qis=QUASI_IDENTIFIERS) -> int:
    """The size of the smallest equivalence class: every row hides among at least k rows."""
    missing = [q for q in qis if q not in released.columns]
    if missing:
        raise ValueError(f"quasi-identifier column(s) {', '.join(missing)} missing; the columns are: "
                         f"{', '.join(map(str, released.columns))}")
    return int(class_sizes(released, qis).min()) if len(released) else 0


def information_loss(original: pd.DataFrame, released: pd.DataFrame, qis=QUASI_IDENTIFIERS) -> float:
    """Average share of a column's distinct values that a released value could stand for.

    For each row and quasi-identifier: take all rows published with the same value, count the
    distinct original values among them (a band '30-39' stands for the ages 30..39 present);
    (that count - 1) / (distinct values of the column - 1) is the loss: 0 for the exact value,
    1 for '*'. A suppressed row (missing from ``released``) loses 1 on every column. The result
    is the mean over rows and columns, from 0 (nothing hidden) to 1 (nothing left).

        >>> people_df = people(200)
        >>> information_loss(people_df, generalise(people_df, Scheme()))
        0.0
        >>> information_loss(people_df, generalise(people_df, Scheme(0, "*", False)))
        1.0
    """
    extra = released.index.difference(original.index)
    if len(extra):
        raise ValueError(f"released has {len(extra)} row(s) whose index is not in the original "
                         "(keep customer_id as the index)")
    losses = []
    for q in qis:
        truth = original[q]
        span = truth.nunique() - 1
        published = released[q].astype(str)
        stands_for = truth.loc[published.index].groupby(published.to_numpy()).nunique()
        per_row = published.map(stands_for).astype(float) - 1
        kept = (per_row / span).sum() if span > 0 else 0.0
        losses.append((kept + (len(original) - len(released))) / len(original))
    return float(sum(losses) / len(losses))


def lattice(age_widths=(1, 5, 10, 20, 0), locations=LOCATION_LEVELS, segments=(True, False),
            suppress=(0, 5)) -> list[Scheme]:
    return [Scheme(a, loc, s, d) for a, loc, s, d in itertools.product(age_widths, locations, segments, suppress)]


def frontier(people_df: pd.DataFrame, schemes=None) -> pd.DataFrame:
    """k and information loss of every scheme in the lattice, best loss first."""
    rows = []
    for scheme in schemes or lattice():
        released = generalise(people_df, scheme)
        rows.append({"scheme": scheme.label(), "k": k_anonymity(released),
                     "suppressed": len(people_df) - len(released),
                     "loss": round(information_loss(people_df, released), 4), "_scheme": scheme})
    return pd.DataFrame(rows).sort_values(["loss", "scheme"]).reset_index(drop=True)


def best_scheme(people_df: pd.DataFrame, k: int = 5) -> Scheme:
    """The scheme with the least information loss that reaches ``k``."""
    table = frontier(people_df)
    ok = table[table["k"] >= k]
    if ok.empty:
        raise ValueError(f"no scheme of the lattice reaches k={k}")
    return ok.iloc[0]["_scheme"]


# --- beyond k-anonymity: what a class can still reveal, and noise with a guarantee ------------

def declined_payment(n: int = 1_000, seed: int = 42) -> pd.Series:
    """For each customer of ``people(n, seed)``: had one of their payments declined.

    A sensitive value (a hint of money trouble) of the kind a release carries next to its
    quasi-identifiers, taken from the shop's payments (a failed attempt before an order).
    """
    from labs.data import ecommerce

    t = ecommerce.tables(scale=n / ecommerce.BASE["customers"], seed=seed)
    failed = t["payments"].loc[t["payments"]["status"] == "failed", "order_id"]
    who = set(t["orders"].loc[t["orders"]["order_id"].isin(failed), "customer_id"])
    ids = people(n, seed).index
    return pd.Series(ids.isin(list(who)), index=ids, name="declined_payment")


def l_diversity(released: pd.DataFrame, sensitive: pd.Series, qis=QUASI_IDENTIFIERS) -> pd.DataFrame:
    """Per equivalence class of ``released``: its size (k), how many distinct sensitive values it
    holds (l), and its most common value with that value's share. A class with l = 1 gives its
    value away to anyone who can place a person in it (the homogeneity attack), whatever k is.
    """
    joined = released[list(qis)].join(sensitive.rename("_s"), how="left")
    groups = joined.groupby(list(qis), dropna=False)["_s"]
    out = pd.DataFrame({"k": groups.size(), "l": groups.nunique(dropna=False),
                        "value": groups.agg(lambda s: s.mode(dropna=False).iloc[0]),
                        "share": groups.agg(lambda s: s.value_counts(normalize=True, dropna=False).iloc[0])})
    return out.sort_values(["l", "k"]).reset_index()


def laplace_count(true_count: int, epsilon: float, rng) -> float:
    """A count released under epsilon-differential privacy: one person changes a count by at most
    1, so Laplace noise of scale 1/epsilon hides whether any one person is in it."""
    if not is_number(epsilon) or epsilon <= 0:
        raise ValueError(f"epsilon must be > 0; got {epsilon}")
    return float(true_count + rng.laplace(0.0, 1.0 / epsilon))


def dp_errors(true_count: int, epsilons=(0.1, 0.5, 1.0, 2.0), draws: int = 10_000, seed: int = 0) -> pd.DataFrame:
    """How far noisy counts land from ``true_count`` for each epsilon, measured over ``draws`` releases:
    mean absolute error (1/epsilon in theory), the 95th percentile, and the share within +-1."""
    import numpy as np

    rng = np.random.default_rng(seed)
    rows = []
    for eps in epsilons:
        noisy = np.array([laplace_count(true_count, eps, rng) for _ in range(draws)])
        err = np.abs(noisy - true_count)
        rows.append({"epsilon": eps, "mean_abs_error": float(err.mean()),
                     "p95_abs_error": float(np.quantile(err, 0.95)), "within_1": float((err <= 1).mean())})
    return pd.DataFrame(rows)
