"""Small, seeded source systems for the pipeline labs.

- ``order_versions``: every version of a few hundred orders as an OLTP database sees
  them (placed, paid, shipped, completed or cancelled), with the time each version was
  written (``updated_at``) and the time it became visible to readers (``visible_at``).
  A few versions commit late, as long transactions do: a reader that already moved
  past their ``updated_at`` never sees them unless it looks back.
- ``returns_export``: a CSV export of product returns from a partner system, with the
  usual mess: re-sent rows (some with a newer status), test rows and a free-text column
  with personal data.

The same seed always gives the same rows:

    >>> v = order_versions(n_orders=50, seed=1)
    >>> list(v.columns)
    ['order_id', 'status', 'amount', 'updated_at', 'visible_at']
    >>> bool((v.visible_at >= v.updated_at).all())
    True
    >>> order_versions(n_orders=50, seed=1).equals(v)
    True
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

START = pd.Timestamp("2024-03-01 00:00:00")
RETURN_REASONS = ("damaged", "wrong_size", "late_delivery", "changed_mind", "other")
RETURN_COLUMNS = ("return_id", "order_id", "requested_at", "reason", "refund_amount", "status", "updated_at",
                  "agent_note")
RETURN_SCHEMA = {"return_id": "bigint", "order_id": "bigint", "requested_at": "timestamp", "reason": "string",
                 "refund_amount": "double", "status": "string", "updated_at": "timestamp", "agent_note": "string"}


def order_versions(n_orders: int = 300, hours: int = 24, seed: int = 7, late_share: float = 0.1,
                   max_delay_minutes: int = 90) -> pd.DataFrame:
    """Every version of ``n_orders`` orders created over ``hours`` hours, in commit order.

    ``late_share`` of the versions commit 1 to ``max_delay_minutes`` minutes after their
    ``updated_at``. A later version of the same order never becomes visible before an
    earlier one (a row lock orders them), so each order's history stays in order.
    """
    if n_orders < 1:
        raise ValueError(f"n_orders must be at least 1; got {n_orders}.")
    if not 0 <= late_share <= 1:
        raise ValueError(f"late_share must be between 0 and 1; got {late_share}.")
    rng = np.random.default_rng(seed)
    created = np.sort(rng.uniform(0, hours * 3600, n_orders)).round()
    amounts = rng.uniform(5, 300, n_orders).round(2)
    cancelled = rng.random(n_orders) < 0.1
    rows = []
    for i in range(n_orders):
        t = created[i]
        history = [("placed", t)]
        if cancelled[i]:
            history.append(("cancelled", t + rng.uniform(5, 60) * 60))
        else:
            paid = t + rng.uniform(1, 30) * 60
            shipped = paid + rng.uniform(2, 8) * 3600
            history += [("paid", paid), ("shipped", shipped), ("completed", shipped + rng.uniform(6, 20) * 3600)]
        for status, at in history:
            rows.append((i + 1, status, amounts[i], round(at)))
    frame = pd.DataFrame(rows, columns=["order_id", "status", "amount", "seconds"])
    late = rng.random(len(frame)) < late_share
    delay = np.where(late, rng.integers(60, max_delay_minutes * 60 + 1, len(frame)), 0)
    visible = frame["seconds"].to_numpy() + delay
    # a row lock: version k of an order cannot commit before version k-1
    visible = pd.Series(visible).groupby(frame["order_id"]).cummax().to_numpy()
    frame["updated_at"] = START + pd.to_timedelta(frame["seconds"], unit="s")
    frame["visible_at"] = START + pd.to_timedelta(visible, unit="s")
    frame = frame.drop(columns="seconds").sort_values(["visible_at", "updated_at", "order_id"], kind="stable")
    return frame.reset_index(drop=True)


def returns_export(n_returns: int = 800, days: int = 14, seed: int = 11) -> pd.DataFrame:
    """The returns export as the partner sends it: text columns, as they appear in the CSV.

    ``updated_at`` is when the partner last changed the row. About 4% of the rows are sent
    twice as exact copies, and about 4% of the open returns (status ``requested``) are sent
    again later in the file with their decision (``approved`` or ``rejected``) and a later
    ``updated_at``: one row per ``return_id`` means the latest one. About 5% are test rows
    with status ``void``, and ``agent_note`` is free text that sometimes holds an e-mail address.

        >>> raw = returns_export(n_returns=100, seed=3)
        >>> raw.columns.tolist() == list(RETURN_COLUMNS)
        True
        >>> bool(raw.duplicated().any()), bool((raw.status == "void").any())
        (True, True)
        >>> versions = raw.drop_duplicates().groupby("return_id")["status"].nunique()
        >>> bool((versions > 1).any())  # a re-sent row with a newer status
        True
    """
    if n_returns < 1 or days < 1:
        raise ValueError(f"n_returns and days must be at least 1; got {n_returns} and {days}.")
    rng = np.random.default_rng(seed)
    seconds = np.sort(rng.uniform(0, days * 86400, n_returns)).round()
    requested = START + pd.to_timedelta(seconds, unit="s")
    status = rng.choice(["requested", "approved", "rejected", "void"], n_returns, p=[0.35, 0.5, 0.1, 0.05])
    # an open return was last touched when it was requested; a decided one some hours later
    touched = np.where(status == "requested", 0, rng.uniform(600, 12 * 3600, n_returns).round())
    updated = requested + pd.to_timedelta(touched, unit="s")
    notes = np.where(rng.random(n_returns) < 0.3,
                     [f"customer asked for a call back: c{n}@mail.example.com" for n in rng.integers(1, 2000, n_returns)],
                     "")
    fmt = "%Y-%m-%d %H:%M:%S"
    frame = pd.DataFrame({
        "return_id": np.arange(50_001, 50_001 + n_returns),
        "order_id": rng.integers(1, 20_001, n_returns),
        "requested_at": requested.strftime(fmt),
        "reason": rng.choice(RETURN_REASONS, n_returns),
        "refund_amount": rng.uniform(3, 250, n_returns).round(2),
        "status": status,
        "updated_at": updated.strftime(fmt),
        "agent_note": notes,
    })
    copies = frame[rng.random(n_returns) < 0.04]
    decided = frame[(frame["status"] == "requested") & (rng.random(n_returns) < 0.12)].copy()
    decided["status"] = rng.choice(["approved", "rejected"], len(decided), p=[0.8, 0.2])
    later = pd.to_datetime(decided["requested_at"]) + pd.to_timedelta(rng.uniform(3600, 48 * 3600, len(decided)).round(), unit="s")
    decided["updated_at"] = later.dt.strftime(fmt)
    # a re-sent row arrives later in the file, as an export that retries a page does
    frame = pd.concat([frame, copies, decided]).sort_values("requested_at", kind="stable").reset_index(drop=True)
    return frame


def write_returns_csv(folder, **kwargs) -> Path:
    """Write ``returns_export(**kwargs)`` as ``<folder>/returns.csv`` and return its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "returns.csv"
    returns_export(**kwargs).to_csv(path, index=False)
    return path


def returns_clean(raw: pd.DataFrame | None = None) -> pd.DataFrame:
    """The onboarded returns table, built in pandas: the answer the metadata pipeline must give.

    Test rows (``void``) are dropped, each return is kept once in its latest version (the
    largest ``updated_at``), ``agent_note`` goes, and ``return_date`` is the day of
    ``requested_at``.
    """
    raw = returns_export() if raw is None else raw
    out = raw[raw["status"] != "void"].drop(columns="agent_note")
    out = out.assign(requested_at=pd.to_datetime(out["requested_at"]), updated_at=pd.to_datetime(out["updated_at"]))
    out = out.sort_values(["return_id", "updated_at"], kind="stable").drop_duplicates("return_id", keep="last")
    out["return_date"] = out["requested_at"].dt.normalize()
    return out.reset_index(drop=True)


ORDER_BATCH_COLUMNS = ("order_id", "customer_id", "order_date", "status", "channel", "total_amount")


# Values on the edges of the exercise's rules, planted in rows the defects left clean: a rule
# written with <= instead of <, or one that forgives capitals, gives itself away on them.
EDGE_VALUES = (
    ("total_amount", 0.0),         # not above 0
    ("total_amount", 5000.0),      # not below 5,000
    ("total_amount", 4999.99),     # just below: fine
    ("customer_id", 1),            # the first valid id
    ("customer_id", 2001),         # just past the last valid id
    ("status", "Completed"),       # a capital is a different value
    ("channel", "Web"),
)


def dirty_orders(n_orders: int = 500, rate: float = 0.05, seed: int = 3) -> pd.DataFrame:
    """The first ``n_orders`` orders of the e-commerce data set with planted defects.

    Nulls, values out of range and badly formatted text (``labs.data.defects``), about
    ``rate`` of the rows each, and a first column ``row_id`` that says which clean row
    each one was. ``EDGE_VALUES`` go into rows the defects left untouched. Generates the
    e-commerce data set the first time.

        >>> batch = dirty_orders(n_orders=100)
        >>> batch.columns.tolist()[:3], len(batch)
        (['row_id', 'order_id', 'customer_id'], 100)
    """
    from labs.data import defects, ensure

    orders = pd.read_parquet(ensure("ecommerce", progress=False)["orders"], columns=list(ORDER_BATCH_COLUMNS))
    clean = orders.sort_values("order_id").head(n_orders).reset_index(drop=True)
    dirty, labels = defects.inject(clean, kinds=("null", "out_of_range", "bad_format"), rate=rate, seed=seed,
                                   columns=[c for c in ORDER_BATCH_COLUMNS if c != "order_id"])
    untouched = [r for r in dirty["row_id"] if r not in set(labels["row_id"])]
    # every seventh untouched row, so the edges are spread through the batch
    for row, (column, value) in zip(untouched[3::7], EDGE_VALUES):
        dirty.loc[dirty["row_id"] == row, column] = value
    return dirty
