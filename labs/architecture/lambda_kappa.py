"""Lambda against Kappa: two code paths for one metric, or one path and a replayable log.

The metric is revenue per country. Rule ``v1`` counts paid orders; rule ``v2`` (the fix a
product owner asks for) also subtracts refunds. Lambda computes it twice: a batch layer in SQL
(DuckDB) over everything before the last batch cut, and a speed layer in Python over what came
after, merged at serving time. Kappa has one function, fed by the log: to change the rule, replay
the log from offset 0 into a new view and switch readers over.

    >>> from labs.architecture.events import make_events
    >>> events = make_events(300, seed=2)
    >>> cut = len(events) * 3 // 4
    >>> truth = kappa_view(events, "v2")
    >>> stale = lambda_view(events, cut, batch_rule="v2", speed_rule="v1")   # one path updated, not the other
    >>> mismatch(stale, truth) > 0, mismatch(lambda_view(events, cut, "v2", "v2"), truth) == 0
    (True, True)
"""
from __future__ import annotations

import pandas as pd

from labs import engines
from labs._check import whole

RULES = ("v1", "v2")
_SQL = {
    "v1": "SELECT country, round(sum(amount), 2) AS revenue FROM events WHERE status = 'paid' GROUP BY country",
    "v2": ("SELECT country, round(sum(CASE WHEN status = 'paid' THEN amount ELSE -amount END), 2) AS revenue "
           "FROM events GROUP BY country"),
}


def _rule(rule: str) -> str:
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}; got {rule!r}")
    return rule


def batch_layer(events: pd.DataFrame, rule: str) -> dict[str, float]:
    """The batch path: SQL over a table, recomputed from scratch at every run."""
    con = engines.duckdb()
    con.register("events", events)
    return {c: r for c, r in con.sql(_SQL[_rule(rule)]).fetchall()}


def speed_step(state: dict[str, float], event: dict, rule: str) -> dict[str, float]:
    """The streaming path: one event folded into running totals (the same code replays the log)."""
    if event["status"] == "paid":
        delta = event["amount"]
    elif _rule(rule) == "v2":
        delta = -event["amount"]
    else:
        return state
    state[event["country"]] = state.get(event["country"], 0.0) + delta
    return state


def _replay(events: pd.DataFrame, rule: str) -> dict[str, float]:
    state: dict[str, float] = {}
    for event in events.to_dict("records"):
        speed_step(state, event, rule)
    return state


def lambda_view(events: pd.DataFrame, cut: int, batch_rule: str, speed_rule: str) -> pd.DataFrame:
    """What Lambda serves: the batch view of the first ``cut`` events plus the speed view of the rest."""
    cut = whole(cut, "cut", at_least=0, at_most=len(events))
    batch = batch_layer(events.iloc[:cut], batch_rule)
    speed = _replay(events.iloc[cut:], speed_rule)
    return _frame({c: batch.get(c, 0.0) + speed.get(c, 0.0) for c in set(batch) | set(speed)})


def kappa_view(events: pd.DataFrame, rule: str, from_offset: int = 0) -> pd.DataFrame:
    """What Kappa serves after replaying the log from ``from_offset`` with one code path."""
    from_offset = whole(from_offset, "from_offset", at_least=0, at_most=len(events))
    return _frame(_replay(events.iloc[from_offset:], rule))


def _frame(totals: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"country": sorted(totals), "revenue": [round(totals[c], 2) for c in sorted(totals)]})


def mismatch(view: pd.DataFrame, truth: pd.DataFrame) -> float:
    """The total absolute difference in revenue between two views, to the cent."""
    both = truth.merge(view, on="country", how="outer", suffixes=("_truth", "_view")).fillna(0.0)
    return round(float((both["revenue_view"] - both["revenue_truth"]).abs().sum()), 2)
