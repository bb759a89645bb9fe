"""The planted incident: "yesterday's revenue is 12 % low", and a runbook to find out why.

A shop's week of orders, payments and customers (seeded). Every night at 02:00 the pipeline loads
the previous day: orders and payments (payments land as hourly partitions), a customer dimension,
and ``fct_daily_revenue`` = orders joined to payments joined to the dimension. Last night two things
went wrong, and neither failed a run:

- **a late partition**: the payments files for yesterday's last hours landed at 07:40, after the run;
- **a join that lost rows**: the customers extract read a replica a day behind, so yesterday's new
  customers are missing from the dimension and the inner join drops their orders.

Each runbook step is a function that returns what a person would look at:

    >>> inc = make_incident()
    >>> report = shortfall(inc)
    >>> round(report["shortfall_pct"], 1)
    12.0
    >>> step = join_counts(inc)
    >>> step[["step", "rows_lost"]].values.tolist()[1:]
    [['join payments', 122], ['join dim_customer', 61]]

``volume_check`` (yesterday against the days before), ``freshness`` (the newest record of each
source), ``join_counts`` (rows and amount before and after each join), ``late_partitions``
(partitions that landed after the run started) and ``revenue(inc, fix_late=..., fix_dim=...)``
(what the fixes restore). ``write_artifacts`` writes the runs' JSON logs and OpenLineage events.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from labs import engines
from labs._check import whole
from labs.monitoring import lineage, logs

FIRST_DAY = pd.Timestamp("2024-06-06")  # so that yesterday is a Wednesday
DAYS = 7
RUN_AT = pd.Timedelta(hours=2)            # the nightly run starts at 02:00 the next day
LATE_FROM_HOUR = 22                       # yesterday's payments from 22:00 on landed late
LATE_LANDED = pd.Timedelta(hours=7, minutes=40)
TARGET_PCT = 12.0
# order intensity by hour of day: quiet nights, busy evenings
HOURLY = np.array([1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 7, 6, 6, 7, 8, 10, 12, 13, 12, 6, 4], dtype=float)


@dataclass(repr=False)
class Incident:
    """The week's source data, when each payments partition landed, and what was planted."""
    orders: pd.DataFrame
    payments: pd.DataFrame
    customers: pd.DataFrame
    partitions: pd.DataFrame
    yesterday: pd.Timestamp
    run_started: pd.Timestamp
    planted: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"Incident(yesterday={self.yesterday:%Y-%m-%d}, {len(self.orders):,} orders, "
                f"{len(self.customers):,} customers)")


def make_incident(seed: int = 11, orders_per_day: int = 1500) -> Incident:
    """A seeded week with the two planted causes sized so that yesterday's revenue is 12.0 % low."""
    seed = whole(seed, "seed", at_least=0)
    orders_per_day = whole(orders_per_day, "orders_per_day", at_least=200)
    rng = np.random.default_rng([seed, 115])
    days = pd.date_range(FIRST_DAY, periods=DAYS, freq="D")
    yesterday = days[-1]
    n_old = 3000
    customers = [(i, FIRST_DAY - pd.Timedelta(days=int(rng.integers(30, 900)))) for i in range(1, n_old + 1)]
    orders = []
    order_id = 100_000
    for day in days:
        n = int(orders_per_day * (0.7 if day.weekday() >= 5 else 1.0) * rng.lognormal(0, 0.03))
        hours = rng.choice(24, size=n, p=HOURLY / HOURLY.sum())
        stamps = day + pd.to_timedelta(hours, unit="h") + pd.to_timedelta(rng.integers(0, 3600, n), unit="s")
        amount = np.round(rng.lognormal(np.log(45), 0.6, n), 2)
        who = rng.integers(1, n_old + 1, n)
        for ts, a, c in zip(sorted(stamps), amount, who):
            order_id += 1
            orders.append((order_id, int(c), ts, float(a)))
    orders = pd.DataFrame(orders, columns=["order_id", "customer_id", "order_ts", "amount"])
    orders["order_date"] = orders["order_ts"].dt.normalize()
    # first purchases: every day about 5 % of orders come from customers who signed up that day
    paid_at = (orders["order_ts"] + pd.to_timedelta(rng.integers(5, 300, len(orders)), unit="s"))
    paid_at = paid_at.where(paid_at.dt.normalize() == orders["order_date"], orders["order_date"] + pd.Timedelta(seconds=86399))
    # a payment lands in the partition of the hour it was made in; the late ones are yesterday's last hours
    late = (paid_at.dt.normalize() == yesterday) & (paid_at.dt.hour >= LATE_FROM_HOUR)
    total_y = orders.loc[orders["order_date"] == yesterday, "amount"].sum()
    dim_target = TARGET_PCT / 100 * total_y - orders.loc[late, "amount"].sum()
    next_id = n_old + 1
    for day in days:
        candidates = orders.index[(orders["order_date"] == day) & ~late]
        picks = rng.permutation(candidates)
        budget = dim_target if day == yesterday else 0.05 * orders.loc[orders["order_date"] == day, "amount"].sum()
        spent = 0.0
        for i in picks:
            if spent + orders.at[i, "amount"] > budget + 1:
                continue
            spent += orders.at[i, "amount"]
            signup = orders.at[i, "order_ts"] - pd.Timedelta(minutes=int(rng.integers(1, 30)))
            customers.append((next_id, max(signup, day)))
            orders.at[i, "customer_id"] = next_id
            next_id += 1
            if budget - spent < 1:
                break
    customers = pd.DataFrame(customers, columns=["customer_id", "signup_at"])
    payments = pd.DataFrame({"payment_id": np.arange(1, len(orders) + 1), "order_id": orders["order_id"],
                             "paid_at": paid_at, "paid_amount": orders["amount"]})
    payments["partition"] = payments["paid_at"].dt.floor("h")
    parts = payments.groupby("partition").size().rename("rows").reset_index()
    landed = parts["partition"] + pd.Timedelta(hours=1) + pd.to_timedelta(rng.integers(3, 15, len(parts)), unit="m")
    late_parts = (parts["partition"].dt.normalize() == yesterday) & (parts["partition"].dt.hour >= LATE_FROM_HOUR)
    landed[late_parts] = yesterday + pd.Timedelta(days=1) + LATE_LANDED
    parts["landed_at"] = landed
    new_ids = customers.loc[customers["signup_at"] >= yesterday, "customer_id"]
    planted = {"late_from_hour": LATE_FROM_HOUR, "late_landed_at": yesterday + pd.Timedelta(days=1) + LATE_LANDED,
               "stale_customers_as_of": yesterday, "new_customers_missing": int(len(new_ids))}
    return Incident(orders, payments, customers, parts, yesterday, yesterday + pd.Timedelta(days=1) + RUN_AT, planted)


def _check(inc):
    if not isinstance(inc, Incident):
        raise ValueError(f"expected the Incident from make_incident(), not {type(inc).__name__}.")
    return inc


def _build(inc: Incident, day, fix_late: bool = False, fix_dim: bool = False) -> dict:
    """What the nightly run loaded for ``day``: the staged tables and the joins, on DuckDB."""
    days = sorted(inc.orders["order_date"].unique())
    try:
        day = pd.Timestamp(day)
    except (TypeError, ValueError):
        day = None
    if day is None or day not in days:
        raise ValueError(f"day must be one of the incident's days, {days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}.")
    run = day + pd.Timedelta(days=1) + RUN_AT
    landed_by = pd.Timestamp.max if fix_late else run
    # the customers extract normally reads the live table at run time; last night's replica was a day behind
    snapshot = day if (day == inc.yesterday and not fix_dim) else run
    con = engines.duckdb()
    try:
        con.register("orders_src", inc.orders)
        con.register("payments_src", inc.payments)
        con.register("customers_src", inc.customers)
        con.register("parts", inc.partitions)
        con.execute("create table orders as select * from orders_src where order_date = ?", [day])
        con.execute("""create table payments as select p.* from payments_src p join parts using (partition)
                       where p.paid_at::date = ? and parts.landed_at <= ?""", [day, landed_by])
        con.execute("create table dim_customer as select * from customers_src where signup_at < ?", [snapshot])
        steps = con.sql("""
            with a as (select count(*) as n, sum(amount) as amt from orders),
                 b as (select count(*) as n, sum(p.paid_amount) as amt from orders o join payments p using (order_id)),
                 c as (select count(*) as n, sum(p.paid_amount) as amt
                       from orders o join payments p using (order_id) join dim_customer d using (customer_id))
            select 'orders' as step, n, amt from a union all select 'join payments', n, amt from b
            union all select 'join dim_customer', n, amt from c""").df()
        newest = con.sql("""select 'orders' as source, max(order_ts) as newest from orders
                            union all select 'payments', max(paid_at) from payments
                            union all select 'customers', max(signup_at) from dim_customer""").df()
        counts = {"orders": con.sql("select count(*) from orders").fetchall()[0][0],
                  "payments": con.sql("select count(*) from payments").fetchall()[0][0],
                  "dim_customer": con.sql("select count(*) from dim_customer").fetchall()[0][0]}
    finally:
        con.close()
    order = {"orders": 0, "join payments": 1, "join dim_customer": 2}
    steps = steps.sort_values("step", key=lambda s: s.map(order), ignore_index=True)
    return {"steps": steps, "newest": newest, "counts": counts, "run": run}


def revenue(inc: Incident, day=None, fix_late: bool = False, fix_dim: bool = False) -> float:
    """``fct_daily_revenue`` for ``day`` (default: yesterday) as the run built it, or with the fixes."""
    inc = _check(inc)
    steps = _build(inc, inc.yesterday if day is None else day, fix_late, fix_dim)["steps"]
    return round(float(steps["amt"].iloc[-1]), 2)


def shortfall(inc: Incident) -> dict:
    """Yesterday's reported revenue against the truth (every payment, every customer), with each cause's share."""
    inc = _check(inc)
    reported = revenue(inc)
    truth = revenue(inc, fix_late=True, fix_dim=True)
    late = revenue(inc, fix_late=True) - reported
    dim = revenue(inc, fix_dim=True) - reported
    pct = lambda x: round(100 * x / truth, 3)
    return {"reported": reported, "expected": truth, "shortfall_pct": pct(truth - reported),
            "late_partition_pct": pct(late), "lost_in_join_pct": pct(dim)}


def volume_check(inc: Incident) -> pd.DataFrame:
    """Step 1: rows and revenue each night's run loaded, and yesterday against the median of the days before."""
    inc = _check(inc)
    rows = []
    for day in sorted(inc.orders["order_date"].unique()):
        built = _build(inc, day)
        rows.append({"day": pd.Timestamp(day), "orders": built["counts"]["orders"],
                     "payments": built["counts"]["payments"], "fct_rows": int(built["steps"]["n"].iloc[-1]),
                     "revenue": round(float(built["steps"]["amt"].iloc[-1]), 2)})
    out = pd.DataFrame(rows)
    # weekends are quieter: compare with the median of the same kind of day before it
    weekend = out["day"].dt.weekday >= 5
    for column in ("orders", "payments", "fct_rows", "revenue"):
        ratios = []
        for i, row in out.iterrows():
            history = out.loc[: i - 1]
            same = history[(history["day"].dt.weekday >= 5) == weekend[i]]
            base = same[column].median() if len(same) else np.nan
            ratios.append(round(row[column] / base, 3) if base == base else np.nan)
        out[f"{column}_ratio"] = ratios
    return out


def freshness(inc: Incident) -> pd.DataFrame:
    """Step 2: the newest record of each source in what last night's run loaded, and how far it is from midnight."""
    inc = _check(inc)
    newest = _build(inc, inc.yesterday)["newest"]
    end = inc.yesterday + pd.Timedelta(days=1)
    newest["behind_minutes"] = ((end - newest["newest"]).dt.total_seconds() // 60).astype(int)
    return newest


def join_counts(inc: Incident, day=None) -> pd.DataFrame:
    """Step 3: rows and amount before and after each join of the build, and what each join lost."""
    inc = _check(inc)
    steps = _build(inc, inc.yesterday if day is None else day)["steps"].rename(columns={"n": "rows", "amt": "amount"})
    steps["amount"] = steps["amount"].round(2)
    steps["rows_lost"] = (-steps["rows"].diff()).fillna(0).astype(int)
    steps["amount_lost"] = (-steps["amount"].diff()).fillna(0).round(2)
    return steps


def late_partitions(inc: Incident) -> pd.DataFrame:
    """Step 4: payments partitions of yesterday that landed after the run started, with their rows."""
    inc = _check(inc)
    parts = inc.partitions
    late = parts[(parts["partition"].dt.normalize() == inc.yesterday) & (parts["landed_at"] > inc.run_started)]
    out = late.assign(run_started=inc.run_started,
                      minutes_after_run=((late["landed_at"] - inc.run_started).dt.total_seconds() // 60).astype(int))
    return out.reset_index(drop=True)


def write_artifacts(inc: Incident, folder) -> dict:
    """The week's runs as a JSON log (``pipeline.jsonl``) and OpenLineage events (``lineage/``) in ``folder``."""
    inc = _check(inc)
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"the folder {folder.name!r} does not exist: create it first.")
    (folder / "lineage").mkdir(exist_ok=True)
    (folder / "lineage" / lineage.EVENTS_FILE).unlink(missing_ok=True)  # written anew, not appended twice
    events = 0
    log_path = folder / "pipeline.jsonl"
    log_path.unlink(missing_ok=True)
    with logs.json_logger(log_path) as log:
        for day in sorted(inc.orders["order_date"].unique()):
            built = _build(inc, day)
            run = built["run"]
            rid = f"{pd.Timestamp(day):%Y-%m-%d}"
            fct_rows = int(built["steps"]["n"].iloc[-1])
            for i, (task, rows) in enumerate([("extract_orders", built["counts"]["orders"]),
                                              ("extract_payments", built["counts"]["payments"]),
                                              ("extract_customers", built["counts"]["dim_customer"]),
                                              ("build_fct_revenue", fct_rows)]):
                log.info("task_finished", extra={"run_id": rid, "task": task,
                                                 "ts": logs._iso(run + pd.Timedelta(minutes=5 * i + 4)),
                                                 "fields": {"rows": int(rows), "duration_s": 240}})
            events += lineage.emit_pipeline(folder / "lineage", day, rows={
                "staging.orders": built["counts"]["orders"], "staging.payments": built["counts"]["payments"],
                "warehouse.dim_customer": built["counts"]["dim_customer"], "warehouse.fct_daily_revenue": fct_rows})
    return {"log": log_path.name, "lineage_events": events}
