"""Alert rules as data, evaluated over a sample series the way Prometheus evaluates them.

A rule is an expression over one metric, a comparison with a threshold, how long the breach must
last (``for_minutes``) and a severity. The expression is a small part of PromQL:

- ``metric`` or ``metric{label="value",other!="x"}``: the latest sample of each matching series
  (a series with no sample in the last ``lookback_minutes`` is stale and drops out);
- ``rate(metric[60m])`` and ``increase(metric[60m])``: a counter's growth over the window
  (counter resets handled; unlike Prometheus, no extrapolation to the window's edges);
- ``time() - metric``: the age of a timestamp gauge, in seconds;
- ``absent(metric{...})``: 1 when no matching series has a fresh sample, else nothing.

Each matching series is its own alert. At every evaluation a breached alert is *pending* from the
first breach, *firing* once the breach has lasted ``for_minutes`` (measured from the first breaching
evaluation, so a breach seen at t and still at t + for fires at t + for), and *resolved* at the first
evaluation without a breach; a pending alert that clears never fires (state ``inactive``).
``keep_firing_for_minutes`` holds a firing alert through short gaps, against flapping.

    >>> import pandas as pd
    >>> t = pd.date_range("2024-06-01", periods=6, freq="5min")
    >>> samples = pd.DataFrame({"time": t, "metric": "pipeline_last_run_duration_seconds",
    ...                         "labels": 'pipeline="orders_daily"', "value": [10, 99, 99, 99, 10, 10]})
    >>> slow = Rule("RunSlow", "pipeline_last_run_duration_seconds", 50, for_minutes=10)
    >>> evaluate([slow], samples)[["time", "state"]].values.tolist()
    [[Timestamp('2024-06-01 00:05:00'), 'pending'], [Timestamp('2024-06-01 00:15:00'), 'firing'], [Timestamp('2024-06-01 00:20:00'), 'resolved']]

A stale series resolves its alert: while the exporter is down, a firing freshness alert goes
quiet. That is why an ``absent`` (or ``up == 0``) rule belongs next to every threshold rule.
"""
from __future__ import annotations

import operator
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from labs._check import is_number, whole
from labs.monitoring.metrics import parse_labels, sample_names

OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq,
       "!=": operator.ne}
SEVERITIES = ("info", "ticket", "page")
TIMELINE_COLUMNS = ["time", "rule", "labels", "state", "value", "severity"]
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_SELECTOR = r"(?P<metric>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<matchers>[^}]*)\})?"
_FORMS = [
    ("absent", re.compile(rf"^absent\(\s*{_SELECTOR}\s*\)$")),
    ("rate", re.compile(rf"^rate\(\s*{_SELECTOR}\s*\[(?P<range>\d+)m\]\s*\)$")),
    ("increase", re.compile(rf"^increase\(\s*{_SELECTOR}\s*\[(?P<range>\d+)m\]\s*\)$")),
    ("age", re.compile(rf"^time\(\)\s*-\s*{_SELECTOR}$")),
    ("value", re.compile(rf"^{_SELECTOR}$")),
]
_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(!=|=)\s*"([^"]*)"\s*$')


def parse_expr(expr: str) -> dict:
    """``{"form", "metric", "matchers", "range_minutes"}`` for an expression, or one clear sentence.

        >>> parse_expr('increase(pipeline_errors_total{task="transform"}[60m])')["matchers"]
        [('task', '=', 'transform')]
    """
    if not isinstance(expr, str) or not expr.strip():
        raise ValueError(f"expr must be a PromQL expression as text, not {expr!r}.")
    for form, pattern in _FORMS:
        found = pattern.match(expr.strip())
        if found:
            break
    else:
        raise ValueError(f"cannot read the expression {expr!r}: write metric{{label=\"v\"}}, rate(metric[60m]), "
                         "increase(metric[60m]), time() - metric or absent(metric).")
    matchers = []
    for part in filter(str.strip, (found["matchers"] or "").split(",")):
        m = _MATCHER.match(part)
        if not m:
            raise ValueError(f"cannot read the label matcher {part.strip()!r} in {expr!r}: write label=\"value\".")
        matchers.append((m[1], m[2], m[3]))
    range_minutes = int(found["range"]) if "range" in found.groupdict() else None
    if range_minutes == 0:
        raise ValueError(f"the range in {expr!r} must be at least 1 minute.")
    return {"form": form, "metric": found["metric"], "matchers": matchers, "range_minutes": range_minutes}


@dataclass(frozen=True)
class Rule:
    """``expr op threshold`` held for ``for_minutes``: what pages whom (``severity``)."""
    name: str
    expr: str
    threshold: float
    for_minutes: int = 0
    severity: str = "ticket"
    op: str = ">"
    keep_firing_for_minutes: int = 0

    def __post_init__(self):
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ValueError(f"a rule's name must be a word such as DataStale, not {self.name!r}.")
        parse_expr(self.expr)
        if not is_number(self.threshold):
            raise ValueError(f"rule {self.name!r}: threshold must be a number, not {self.threshold!r}.")
        whole(self.for_minutes, f"rule {self.name!r}: for_minutes", at_least=0)
        whole(self.keep_firing_for_minutes, f"rule {self.name!r}: keep_firing_for_minutes", at_least=0)
        if self.severity not in SEVERITIES:
            raise ValueError(f"rule {self.name!r}: severity must be one of {', '.join(SEVERITIES)}, "
                             f"not {self.severity!r}.")
        if self.op not in OPS:
            raise ValueError(f"rule {self.name!r}: op must be one of {' '.join(OPS)}, not {self.op!r}.")


# The rules for notebook 11's pipeline: each planted incident of ``simulate_runs`` trips one of them.
RULES = [
    Rule("PipelineFailed", "pipeline_last_run_status", 1, op="<", severity="page"),
    Rule("DataStale", "pipeline_data_freshness_seconds", 28 * 3600, for_minutes=30, severity="page"),
    Rule("RunSlow", "pipeline_last_run_duration_seconds", 3600, severity="ticket"),
    Rule("VolumeLow", 'pipeline_last_run_rows{direction="out"}', 4000, op="<", severity="ticket"),
    Rule("ErrorBurst", "increase(pipeline_errors_total[60m])", 100, severity="ticket"),
    # A labelled gauge exists only once set: absent() on the last run's status would fire before the
    # first run. The freshness gauge is computed at every scrape, so its absence means no scrape.
    Rule("MetricsMissing", "absent(pipeline_data_freshness_seconds)", 0, for_minutes=15, severity="page"),
]


def _check_samples(samples):
    if not isinstance(samples, pd.DataFrame) or not {"time", "metric", "labels", "value"} <= set(samples.columns):
        raise ValueError("samples must be a frame with time, metric, labels and value columns.")


def _grid(samples, every_minutes):
    times = pd.DatetimeIndex(samples["time"].drop_duplicates().sort_values())
    if every_minutes is None:
        every = pd.Series(times).diff().median() if len(times) > 1 else pd.Timedelta(minutes=1)
    else:
        every = pd.Timedelta(minutes=whole(every_minutes, "every_minutes", at_least=1))
    return pd.date_range(times[0], times[-1], freq=every)


def _vectors(parsed, samples, grid, lookback):
    """``{labels: values on the grid}`` (NaN where the series has no value) for one parsed expression."""
    rows = samples[samples["metric"] == parsed["metric"]]
    out = {}
    t_grid = grid.asi8
    for labels, group in rows.groupby("labels", sort=True):
        have = parse_labels(labels)
        if not all((have.get(k, "") == v) == (op == "=") for k, op, v in parsed["matchers"]):
            continue
        group = group.sort_values("time")
        t = pd.DatetimeIndex(group["time"]).asi8
        v = group["value"].to_numpy(dtype=float)
        j = np.searchsorted(t, t_grid, side="right") - 1
        fresh = (j >= 0) & (t_grid - t[np.maximum(j, 0)] <= lookback.value)
        if parsed["form"] in ("rate", "increase"):
            deltas = np.diff(v, prepend=v[0])
            deltas = np.where(deltas < 0, v, deltas)  # a reset: the counter restarted from 0
            adjusted = np.cumsum(deltas)
            window = pd.Timedelta(minutes=parsed["range_minutes"]).value
            i = np.searchsorted(t, t_grid - window, side="right")
            ok = fresh & (j > i)
            jj, ii = np.maximum(j, 0), np.minimum(i, len(t) - 1)
            grown = adjusted[jj] - adjusted[ii]
            value = grown if parsed["form"] == "increase" else grown / np.maximum((t[jj] - t[ii]) / 1e9, 1e-9)
            out[labels] = np.where(ok, value, np.nan)
        else:
            value = v[np.maximum(j, 0)]
            if parsed["form"] == "age":
                value = t_grid / 1e9 - value
            out[labels] = np.where(fresh, value, np.nan)
    if parsed["form"] == "absent":
        present = np.zeros(len(grid), dtype=bool)
        for values in out.values():
            present |= ~np.isnan(values)
        labels = ",".join(f'{k}="{v}"' for k, op, v in sorted(parsed["matchers"]) if op == "=")
        out = {labels: np.where(present, np.nan, 1.0)}
    return out


def values(expr: str, samples: pd.DataFrame, every_minutes: int | None = None,
           lookback_minutes: int = 5) -> pd.DataFrame:
    """What ``expr`` evaluates to at each evaluation time: time, labels, value (one row per series present).

        >>> import pandas as pd
        >>> s = pd.DataFrame({"time": pd.date_range("2024-06-01", periods=3, freq="5min"),
        ...                   "metric": "pipeline_errors_total", "labels": "", "value": [0, 4, 10]})
        >>> values("increase(pipeline_errors_total[10m])", s)["value"].tolist()
        [4.0, 6.0]

    A window ``[10m]`` at 00:10 is open on the left, as in Prometheus 3: it holds the samples of
    00:05 and 00:10, not the one at 00:00.
    """
    _check_samples(samples)
    if samples.empty:
        raise ValueError("samples is empty: there is nothing to evaluate.")
    parsed = parse_expr(expr)
    if parsed["metric"] not in sample_names() | set(samples["metric"]):
        raise ValueError(f"unknown metric {parsed['metric']!r}; the samples hold "
                         f"{', '.join(sorted(set(samples['metric'])))}.")
    lookback = pd.Timedelta(minutes=whole(lookback_minutes, "lookback_minutes", at_least=1))
    grid = _grid(samples, every_minutes)
    frames = [pd.DataFrame({"time": grid, "labels": labels, "value": v})
              for labels, v in _vectors(parsed, samples, grid, lookback).items()]
    if not frames:
        return pd.DataFrame(columns=["time", "labels", "value"])
    out = pd.concat(frames, ignore_index=True).dropna(subset=["value"])
    return out.sort_values(["time", "labels"], ignore_index=True)


def evaluate(rules, samples: pd.DataFrame, every_minutes: int | None = None,
             lookback_minutes: int = 5) -> pd.DataFrame:
    """The alerts' timeline: one row per state change (``TIMELINE_COLUMNS``), in time order.

    Rules are evaluated at every ``every_minutes`` (default: the scrape interval) from the first
    sample to the last. ``value`` is the expression's value at the change (NaN once it is gone).
    """
    if isinstance(rules, Rule):
        rules = [rules]
    if not isinstance(rules, (list, tuple)) or not rules or not all(isinstance(r, Rule) for r in rules):
        raise ValueError("rules must be a non-empty list of Rule objects.")
    _check_samples(samples)
    if samples.empty:
        raise ValueError("samples is empty: there is nothing to evaluate.")
    lookback = pd.Timedelta(minutes=whole(lookback_minutes, "lookback_minutes", at_least=1))
    known = sample_names() | set(samples["metric"])
    grid = _grid(samples, every_minutes)
    events = []
    for rule in rules:
        parsed = parse_expr(rule.expr)
        if parsed["metric"] not in known:
            raise ValueError(f"rule {rule.name!r}: unknown metric {parsed['metric']!r}; the samples hold "
                             f"{', '.join(sorted(set(samples['metric'])))}.")
        hold = pd.Timedelta(minutes=rule.for_minutes)
        keep = pd.Timedelta(minutes=rule.keep_firing_for_minutes)
        compare = OPS[rule.op]
        for labels, values in _vectors(parsed, samples, grid, lookback).items():
            breached = ~np.isnan(values) & compare(np.nan_to_num(values, nan=0.0), rule.threshold)
            state, active_at, clear_since = "inactive", None, None
            for at, value, bad in zip(grid, values, breached):
                new = state
                if bad:
                    clear_since = None
                    if state == "inactive":
                        active_at, new = at, "pending"
                    if new == "pending" and at - active_at >= hold:
                        new = "firing"
                elif state == "pending":
                    new = "inactive"
                elif state == "firing":
                    clear_since = clear_since or at
                    if at - clear_since >= keep:
                        new = "resolved"
                if new != state:
                    events.append((at, rule.name, labels, new, float(value), rule.severity))
                    state = "inactive" if new == "resolved" else new
    timeline = pd.DataFrame(events, columns=TIMELINE_COLUMNS)
    return timeline.sort_values(["time", "rule", "labels"], kind="stable", ignore_index=True)


def episodes(timeline: pd.DataFrame) -> pd.DataFrame:
    """One row per alert that fired: rule, labels, severity, pending_at, firing_at, resolved_at, minutes firing.

        >>> t = pd.DataFrame([(pd.Timestamp("2024-06-01 00:05"), "R", "", "pending", 1.0, "page"),
        ...                   (pd.Timestamp("2024-06-01 00:15"), "R", "", "firing", 1.0, "page"),
        ...                   (pd.Timestamp("2024-06-01 00:20"), "R", "", "resolved", 0.0, "page")],
        ...                  columns=TIMELINE_COLUMNS)
        >>> episodes(t)["firing_minutes"].tolist()
        [5.0]
    """
    if not isinstance(timeline, pd.DataFrame) or not set(TIMELINE_COLUMNS) <= set(timeline.columns):
        raise ValueError(f"timeline must be a frame with the columns {', '.join(TIMELINE_COLUMNS)} (from evaluate).")
    rows = []
    for (rule, labels), group in timeline.groupby(["rule", "labels"], sort=True):
        pending_at = None
        current = None
        for at, state, severity in zip(group["time"], group["state"], group["severity"]):
            if state == "pending":
                pending_at = at
            elif state == "inactive":
                pending_at = None
            elif state == "firing":
                current = [rule, labels, severity, pending_at or at, at, pd.NaT]
            elif state == "resolved" and current:
                current[5] = at
                rows.append(current)
                current, pending_at = None, None
        if current:
            rows.append(current)
    out = pd.DataFrame(rows, columns=["rule", "labels", "severity", "pending_at", "firing_at", "resolved_at"])
    for column in ("pending_at", "firing_at", "resolved_at"):
        out[column] = pd.to_datetime(out[column])
    out["firing_minutes"] = (out["resolved_at"] - out["firing_at"]).dt.total_seconds() / 60
    return out.sort_values(["firing_at", "rule"], ignore_index=True)


def plot_timeline(timeline: pd.DataFrame, ax):
    """Each alert as a bar from firing to resolved (pending in a lighter shade); returns ``ax``."""
    found = episodes(timeline)
    names = sorted(set(found["rule"]))
    end = timeline["time"].max() if len(timeline) else pd.Timestamp(0)
    span = end - timeline["time"].min() if len(timeline) else pd.Timedelta(0)
    for _, row in found.iterrows():
        y = names.index(row["rule"])
        stop = row["resolved_at"] if pd.notna(row["resolved_at"]) else end
        ax.barh(y, row["firing_at"] - row["pending_at"], left=row["pending_at"], color="tab:orange", alpha=0.4)
        ax.barh(y, max(stop - row["firing_at"], span / 100), left=row["firing_at"], color="tab:red")
    ax.set_yticks(range(len(names)), names)
    ax.set_title("alerts firing (red) and pending (orange)", fontsize=9)
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    return ax
