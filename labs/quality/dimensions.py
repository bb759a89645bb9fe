"""The quality dimensions, each measured as a share from 0 to 1 on a shop with planted defects.

``dirty_shop`` takes the generated shop (``labs.data.ecommerce``), plants defects in
customers and orders with ``labs.data.defects.inject`` and keeps the clean copies
and the labels, so every measurement can be compared with what was really planted:

    >>> shop = dirty_shop(scale=0.05, seed=7)
    >>> sorted(shop.tables)
    ['customers', 'order_items', 'orders']
    >>> orders = shop.tables["orders"]
    >>> round(uniqueness(orders, "order_id"), 4), round(completeness(orders, "total_amount"), 4)
    (0.9804, 0.9922)

Each function answers one question:

=============  =================================================================
completeness   is the value there?            share of rows where it is not null
uniqueness     is each thing recorded once?   share of rows that are not a repeat of the key
validity       does it look right?            share of present values matching the format / set / range
integrity      do references resolve?         share of present foreign keys found in the parent
consistency    do two records agree?          share of orders whose total equals the sum of its lines
accuracy       is it true?                    share of values equal to the system of record
timeliness     did it arrive in time?         share of days whose load met the deadline
=============  =================================================================

Relevance (is this the data the use needs?) is judged by people, not computed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from labs.quality.rules import EMAIL, STATUSES



@dataclass
class Shop:
    """Dirty tables, their clean originals and the labels of every planted defect."""
    tables: dict[str, pd.DataFrame]
    clean: dict[str, pd.DataFrame]
    labels: dict[str, pd.DataFrame] = field(default_factory=dict)


def dirty_shop(scale: float = 0.25, seed: int = 42, rate: float = 0.02) -> Shop:
    """Customers and orders with nulls, duplicates, out-of-range values and bad formats.

    ``customers``: defects in email, phone, birth_date, country, plus duplicated rows; two
    e-mails carry stray text after a valid address (a trailing space, a second address).
    ``orders``: defects in customer_id (an out-of-range id points at no customer: an
    integrity break), status, total_amount, order_date, plus duplicated rows.
    ``order_items`` stays clean: it is the second source the totals must agree with.
    """
    from labs.data import defects, ecommerce

    raw = ecommerce.tables(scale=scale, seed=seed)
    customers, customer_labels = defects.inject(
        raw["customers"], rate=rate, seed=seed, columns=["email", "phone", "birth_date", "country"])
    orders, order_labels = defects.inject(
        raw["orders"], rate=rate, seed=seed + 1,
        columns=["customer_id", "status", "total_amount", "order_date"])
    customers, customer_labels = _stray_text_in_emails(customers, customer_labels, seed)
    clean = {"customers": defects._with_row_id(raw["customers"]), "orders": defects._with_row_id(raw["orders"])}
    return Shop(tables={"customers": customers, "orders": orders, "order_items": raw["order_items"]},
                clean=clean, labels={"customers": customer_labels, "orders": order_labels})


def _stray_text_in_emails(customers: pd.DataFrame, labels: pd.DataFrame, seed: int):
    """Two e-mails broken the way exports break them: a trailing space, and a second address in
    the field. Each still *contains* a valid address, so only a whole-value match rejects it."""
    touched = set(labels["row_id"]) | set(labels.loc[labels["kind"] == "duplicate", "original"].astype(int))
    candidates = customers.loc[~customers["row_id"].isin(touched) & customers["email"].notna()]
    if len(candidates) < 2:
        return customers, labels
    rng = np.random.default_rng([int(seed), 85])
    picked = candidates.iloc[np.sort(rng.choice(len(candidates), size=2, replace=False))]
    first, second = picked.index
    customers = customers.copy()
    customers.loc[first, "email"] = customers.loc[first, "email"] + " "
    customers.loc[second, "email"] = customers.loc[second, "email"] + ", " + customers.loc[first, "email"].strip()
    added = pd.DataFrame({"row_id": picked["row_id"].to_numpy(), "column": "email", "kind": "bad_format",
                          "original": picked["email"].to_numpy(),
                          "planted": customers.loc[[first, second], "email"].to_numpy()})
    labels = pd.concat([labels, added], ignore_index=True).sort_values("row_id", kind="stable", ignore_index=True)
    return customers, labels


def _column(df: pd.DataFrame, column: str) -> pd.Series:
    if column not in df.columns:
        raise ValueError(f"no column {column!r}; the columns are {', '.join(map(str, df.columns))}.")
    return df[column]


def completeness(df: pd.DataFrame, column: str) -> float:
    """Share of rows where ``column`` holds a value (empty or blank text counts as missing)."""
    values = _column(df, column)
    blank = values.map(lambda v: isinstance(v, str) and not v.strip())
    return float((values.notna() & ~blank).mean()) if len(df) else 1.0


def uniqueness(df: pd.DataFrame, key) -> float:
    """Share of rows that are the first occurrence of their key (a repeat counts against it)."""
    keys = [key] if isinstance(key, str) else list(key)
    for k in keys:
        _column(df, k)
    return float(1 - df.duplicated(subset=keys, keep="first").mean()) if len(df) else 1.0


def validity(df: pd.DataFrame, column: str, pattern: str | None = None, allowed=None,
             low=None, high=None) -> float:
    """Share of *present* values that match ``pattern`` (whole value), are in ``allowed``,
    and lie in ``[low, high]``. Nulls are completeness's business, not validity's."""
    values = _column(df, column).dropna()
    if pattern is None and allowed is None and low is None and high is None:
        raise ValueError("validity needs at least one of pattern, allowed, low, high.")
    ok = pd.Series(True, index=values.index)
    if pattern is not None:
        regex = re.compile(pattern)
        ok &= values.map(lambda v: bool(regex.fullmatch(str(v))))
    if allowed is not None:
        ok &= values.isin(list(allowed))
    if low is not None:
        ok &= values >= low
    if high is not None:
        ok &= values <= high
    return float(ok.mean()) if len(values) else 1.0


def integrity(child: pd.DataFrame, foreign_key: str, parent: pd.DataFrame, key: str) -> float:
    """Share of present foreign keys that exist in the parent table."""
    refs = _column(child, foreign_key).dropna()
    return float(refs.isin(_column(parent, key).dropna()).mean()) if len(refs) else 1.0


def consistency(orders: pd.DataFrame, items: pd.DataFrame, tolerance: float = 0.005) -> float:
    """Share of orders whose ``total_amount`` equals the sum of ``quantity * unit_price`` of its lines."""
    lines = items.assign(amount=items["quantity"] * items["unit_price"]).groupby("order_id")["amount"].sum()
    expected = orders["order_id"].map(lines)
    agree = (orders["total_amount"].astype(float) - expected).abs() <= tolerance
    return float(agree.mean()) if len(orders) else 1.0


def accuracy(df: pd.DataFrame, truth: pd.DataFrame, key: str, column: str) -> float:
    """Share of rows whose ``column`` equals the system of record ``truth`` (matched on ``key``).

    Accuracy needs something trusted to compare with: a master system, a manual audit
    of a sample, a second independent source. Without one it cannot be measured.
    """
    reference = truth.drop_duplicates(key).set_index(key)[_column(truth, column).name]
    expected = _column(df, key).map(reference)
    actual = _column(df, column)
    equal = (actual == expected) | (actual.isna() & expected.isna())
    return float(equal.mean()) if len(df) else 1.0


def timeliness(loads: pd.DataFrame, expected_by: pd.Timedelta | None = None,
               first_day=None, last_day=None) -> float:
    """Share of calendar days whose load arrived by the deadline (a missing day is not on time)."""
    from labs.quality import anomalies

    expected_by = anomalies.EXPECTED_BY if expected_by is None else expected_by
    day = pd.to_datetime(loads["day"])
    calendar = pd.date_range(first_day or day.min(), last_day or day.max(), freq="D")
    breaches = anomalies.freshness_breaches(loads, expected_by, calendar[0], calendar[-1])
    return float(1 - len(breaches) / len(calendar))


def _share(bad: int, total: int) -> float:
    return 1 - bad / total if total else 1.0


def measure(shop: Shop, loads: pd.DataFrame | None = None, planted_loads: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every dimension measured on the shop, next to the value the planted labels predict.

    Columns: dimension, check, measured, from_labels. The two agree when the
    measurement counts exactly what was planted.
    """
    customers, orders, items = (shop.tables[t] for t in ("customers", "orders", "order_items"))
    cl, ol = shop.labels["customers"], shop.labels["orders"]

    def planted(labels, column, kinds):
        return labels[(labels["column"] == column) & labels["kind"].isin(kinds)]

    n_cust, n_ord = len(customers), len(orders)
    present_emails = customers["email"].notna().sum()
    rows = [
        ("completeness", "customers.email is present", completeness(customers, "email"),
         _share(len(planted(cl, "email", ["null"])), n_cust)),
        ("uniqueness", "orders.order_id is unique", uniqueness(orders, "order_id"),
         _share(int((ol["kind"] == "duplicate").sum()), n_ord)),
        ("validity", "customers.email has an e-mail's shape", validity(customers, "email", pattern=EMAIL),
         _share(len(planted(cl, "email", ["bad_format"])), present_emails)),
        ("validity", "orders.status is a known status", validity(orders, "status", allowed=STATUSES),
         _share(len(planted(ol, "status", ["bad_format"])), orders["status"].notna().sum())),
        ("integrity", "orders.customer_id exists in customers",
         integrity(orders, "customer_id", customers, "customer_id"),
         _share(len(planted(ol, "customer_id", ["out_of_range"])), orders["customer_id"].notna().sum())),
        ("consistency", "orders.total_amount = sum of its lines", consistency(orders, items),
         _share(len(planted(ol, "total_amount", ["null", "out_of_range"])), n_ord)),
        ("accuracy", "customers.email matches the CRM",
         _accuracy_by_copy(customers, shop.clean["customers"], cl, "email"),
         _share(len(planted(cl, "email", ["null", "bad_format"])), n_cust)),
    ]
    if loads is not None:
        truth = (planted_loads["kind"].isin(["late", "missing"]).sum() if planted_loads is not None else np.nan)
        n_days = (pd.to_datetime(loads["day"]).max() - pd.to_datetime(loads["day"]).min()).days + 1
        rows.append(("timeliness", "daily load in by 06:00 next day", timeliness(loads), _share(truth, n_days)))
    return pd.DataFrame(rows, columns=["dimension", "check", "measured", "from_labels"])


def _accuracy_by_copy(dirty: pd.DataFrame, clean: pd.DataFrame, labels: pd.DataFrame, column: str) -> float:
    # A duplicated row carries a new row_id: compare it with the row it copies.
    source = dict(zip(labels.loc[labels["kind"] == "duplicate", "row_id"],
                      labels.loc[labels["kind"] == "duplicate", "original"].astype(int)))
    key = dirty["row_id"].map(lambda r: source.get(r, r)).to_frame("row_id")
    key[column] = dirty[column].to_numpy()
    return accuracy(key, clean, "row_id", column)
