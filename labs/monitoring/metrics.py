"""A daily pipeline's metrics with ``prometheus_client``, and a seeded month of scrapes.

The pipeline ``orders_daily`` runs once a day at about 02:00 and loads the previous day's orders.
Its code updates instruments on a private ``CollectorRegistry`` (never the process-wide one, so two
simulations or a notebook re-run never collide): run status, duration (a ``Histogram`` and the last
run's value), rows in and out, errors per task, the error ratio, throughput, and freshness (seconds
since the newest loaded event, computed when scraped). A scraper reads the registry every few
minutes; ``simulate_runs`` records every scrape as Prometheus would store it, one row per sample:

    >>> sim = simulate_runs(days=3, seed=7, incidents={})
    >>> list(sim.samples.columns)
    ['time', 'metric', 'labels', 'value']
    >>> sim.runs[["day", "status"]].values.tolist()[:1]
    [[Timestamp('2024-06-01 00:00:00'), 'success']]
    >>> print(exposition(sim.registry).splitlines()[2])
    pipeline_runs_total{pipeline="orders_daily",status="success"} 3.0

Incidents are planted by day (``incidents={day_index: kind}``, kinds in ``KINDS``); by default one
of each kind lands on a seeded day, and ``sim.incidents`` lists them. ``_created`` samples (a
wall-clock creation time) are left out of the series and the text, so both are the same every run.
"""
from __future__ import annotations

from dataclasses import dataclass

import uuid

import numpy as np
import pandas as pd
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import Metric

from labs._check import is_whole, whole

PIPELINE = "orders_daily"
START = pd.Timestamp("2024-06-01")
TASKS = ("extract", "transform", "load")
DURATION_BUCKETS = (600, 1200, 1800, 3600, 7200, 14400)
KINDS = ("failure", "slow", "volume_drop", "error_burst", "late_source", "exporter_down")
OUTAGE = (pd.Timedelta(hours=11), pd.Timedelta(hours=14))  # exporter_down: no scrape succeeds
WEEKDAY = np.array([1.00, 1.03, 1.04, 1.01, 0.96, 0.62, 0.55])
# The metric families a rule may name (sample names: a histogram adds _bucket, _sum and _count).
METRICS = {
    "up": "1 when the scrape worked, 0 when it failed (written by the scraper)",
    "pipeline_runs_total": "runs finished, by status",
    "pipeline_last_run_status": "1 when the last run succeeded, 0 when it failed",
    "pipeline_last_success_timestamp_seconds": "when the last successful run ended (Unix seconds)",
    "pipeline_run_duration_seconds": "run durations (histogram)",
    "pipeline_last_run_duration_seconds": "the last run's duration",
    "pipeline_rows_total": "rows read (direction=in) and written (direction=out)",
    "pipeline_last_run_rows": "the last run's rows, in and out",
    "pipeline_errors_total": "errors by task: rejected records and exceptions",
    "pipeline_last_run_error_ratio": "errors / rows in, for the last run",
    "pipeline_throughput_rows_per_second": "rows in / duration, for the last run",
    "pipeline_data_freshness_seconds": "seconds since the newest loaded event (at scrape time)",
}


def run_id(day, attempt: int = 1, pipeline: str = PIPELINE) -> str:
    """The run's id, the same in metrics, logs and lineage: a UUID derived from pipeline, day and attempt.

        >>> run_id("2024-06-01") == run_id(pd.Timestamp("2024-06-01"), 1)
        True
    """
    day = pd.Timestamp(day)
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kit:{pipeline}/{day:%Y-%m-%d}/{whole(attempt, 'attempt', at_least=1)}"))


def sample_names() -> set[str]:
    """Every sample name a series can hold (a histogram's family gives three)."""
    names = set(METRICS)
    names |= {f"pipeline_run_duration_seconds_{s}" for s in ("bucket", "sum", "count")}
    return names


class PipelineMetrics:
    """The pipeline's instruments on a registry of their own; ``now`` is the scrape time (Unix seconds)."""

    def __init__(self):
        self.registry = CollectorRegistry()
        self.now = 0.0
        self.newest_event = None
        r, p = self.registry, ["pipeline"]
        self.runs = Counter("pipeline_runs", METRICS["pipeline_runs_total"], p + ["status"], registry=r)
        self.status = Gauge("pipeline_last_run_status", METRICS["pipeline_last_run_status"], p, registry=r)
        self.last_success = Gauge("pipeline_last_success_timestamp_seconds",
                                  METRICS["pipeline_last_success_timestamp_seconds"], p, registry=r)
        self.duration = Histogram("pipeline_run_duration_seconds", METRICS["pipeline_run_duration_seconds"], p,
                                  buckets=DURATION_BUCKETS, registry=r)
        self.last_duration = Gauge("pipeline_last_run_duration_seconds",
                                   METRICS["pipeline_last_run_duration_seconds"], p, registry=r)
        self.rows = Counter("pipeline_rows", METRICS["pipeline_rows_total"], p + ["direction"], registry=r)
        self.last_rows = Gauge("pipeline_last_run_rows", METRICS["pipeline_last_run_rows"], p + ["direction"],
                               registry=r)
        self.errors = Counter("pipeline_errors", METRICS["pipeline_errors_total"], p + ["task"], registry=r)
        self.error_ratio = Gauge("pipeline_last_run_error_ratio", METRICS["pipeline_last_run_error_ratio"], p,
                                 registry=r)
        self.throughput = Gauge("pipeline_throughput_rows_per_second",
                                METRICS["pipeline_throughput_rows_per_second"], p, registry=r)
        fresh = Gauge("pipeline_data_freshness_seconds", METRICS["pipeline_data_freshness_seconds"],
                      p + ["source"], registry=r)
        # computed when scraped, as a real exporter does: now minus the newest event's time
        fresh.labels(PIPELINE, "orders").set_function(
            lambda: 0.0 if self.newest_event is None else self.now - self.newest_event)
        for task in TASKS:  # a counter that exists at 0 can be rated from the first scrape on
            self.errors.labels(PIPELINE, task)

    def record_run(self, *, ended_at: float, status: str, duration_s: float, rows_in: int, rows_out: int,
                   errors: dict, newest_event: float | None) -> None:
        """What the pipeline's code does at the end of a run."""
        if status not in ("success", "failed"):
            raise ValueError(f"status must be 'success' or 'failed', not {status!r}.")
        self.runs.labels(PIPELINE, status).inc()
        self.status.labels(PIPELINE).set(1 if status == "success" else 0)
        self.duration.labels(PIPELINE).observe(duration_s)
        self.last_duration.labels(PIPELINE).set(duration_s)
        for task, n in errors.items():
            if task not in TASKS:
                raise ValueError(f"unknown task {task!r}; the tasks are {', '.join(TASKS)}.")
            self.errors.labels(PIPELINE, task).inc(n)
        self.rows.labels(PIPELINE, "in").inc(rows_in)
        self.last_rows.labels(PIPELINE, "in").set(rows_in)
        self.error_ratio.labels(PIPELINE).set(round(sum(errors.values()) / max(rows_in, 1), 6))
        self.throughput.labels(PIPELINE).set(round(rows_in / duration_s, 3))
        if status == "success":
            self.rows.labels(PIPELINE, "out").inc(rows_out)
            self.last_rows.labels(PIPELINE, "out").set(rows_out)
            self.last_success.labels(PIPELINE).set(ended_at)
            self.newest_event = newest_event


def labels_text(labels: dict) -> str:
    """Labels as Prometheus writes them, sorted: ``pipeline="orders_daily",task="load"``."""
    return ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))


def parse_labels(text: str) -> dict:
    """The inverse of ``labels_text`` (label values here never hold quotes or commas)."""
    if not text:
        return {}
    pairs = (part.split("=", 1) for part in text.split(","))
    return {k: v.strip('"') for k, v in pairs}


class _WithoutCreated:
    """A collector view of a registry without the ``_created`` samples (wall-clock times)."""

    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        for family in self.registry.collect():
            kept = Metric(family.name, family.documentation, family.type, family.unit)
            kept.samples = [s for s in family.samples if not s.name.endswith("_created")]
            yield kept


def _check_registry(registry):
    if not isinstance(registry, CollectorRegistry):
        raise ValueError(f"registry must be a prometheus_client CollectorRegistry, not {type(registry).__name__}.")


def exposition(registry) -> str:
    """The registry in Prometheus' text format, what ``/metrics`` would serve (``_created`` left out)."""
    _check_registry(registry)
    return generate_latest(_WithoutCreated(registry)).decode("utf-8")


def scrape(registry, at: pd.Timestamp) -> list[tuple]:
    """One scrape: ``(time, metric, labels, value)`` for every sample the registry holds now."""
    _check_registry(registry)
    return [(at, s.name, labels_text(s.labels), float(s.value))
            for family in _WithoutCreated(registry).collect() for s in family.samples]


@dataclass(repr=False)
class Simulation:
    """``samples`` (time, metric, labels, value), ``runs`` (one row per run), ``incidents`` (day, kind)."""
    samples: pd.DataFrame
    runs: pd.DataFrame
    incidents: pd.DataFrame
    registry: CollectorRegistry

    def __repr__(self) -> str:
        return (f"Simulation({len(self.runs)} runs, {len(self.samples):,} samples, "
                f"incidents: {', '.join(self.incidents['kind']) or 'none'})")


def default_incidents(days: int, seed: int) -> dict:
    """One day per kind, seeded, after a clean first week and at least two days apart."""
    need = 7 + 2 * len(KINDS)
    if days < need:
        raise ValueError(f"the default incidents need at least {need} days; pass incidents={{}} "
                         f"(or your own) for {days}.")
    rng = np.random.default_rng([int(seed), 110])
    slots = rng.permutation(np.arange(7, days - 1, 2))[: len(KINDS)]
    return {int(day): kind for day, kind in zip(sorted(slots), rng.permutation(KINDS))}


def _check_incidents(incidents, days):
    if not isinstance(incidents, dict):
        raise ValueError(f"incidents must be a dict of day index to kind, not {type(incidents).__name__}.")
    for day, kind in incidents.items():
        if not is_whole(day) or not 0 <= day < days:
            raise ValueError(f"an incident's day must be a whole number from 0 to {days - 1}, not {day!r}.")
        if kind not in KINDS:
            raise ValueError(f"unknown incident kind {kind!r}; choose from {', '.join(KINDS)}.")
    return {int(d): k for d, k in incidents.items()}


def _unix(ts: pd.Timestamp) -> float:
    return float(ts.timestamp()) if ts.tzinfo else float(ts.tz_localize("UTC").timestamp())


def simulate_runs(days: int = 30, seed: int = 42, incidents: dict | None = None,
                  scrape_minutes: int = 5, start=START) -> Simulation:
    """A seeded month of daily runs, scraped every ``scrape_minutes``, with planted incidents.

    Each day's run starts near 02:00 (08:00 for ``late_source``), takes about 25 minutes (four
    times that when ``slow``), reads about 10,000 rows with a weekly rhythm (a third of it on a
    ``volume_drop`` day) and rejects about 0.05 % as errors (5 % on an ``error_burst`` day). A
    ``failure`` run dies in ``transform`` and is rerun by hand at 09:00. On an ``exporter_down``
    day every scrape from 11:00 to 14:00 fails: ``up`` is 0 and no other sample is stored.
    """
    days = whole(days, "days", at_least=1)
    seed = whole(seed, "seed", at_least=0)
    scrape_minutes = whole(scrape_minutes, "scrape_minutes", at_least=1, at_most=60)
    planned = default_incidents(days, seed) if incidents is None else _check_incidents(incidents, days)
    rng = np.random.default_rng([seed, 111])
    start = pd.Timestamp(start).normalize()
    metrics = PipelineMetrics()
    metrics.newest_event = _unix(start - pd.Timedelta(days=1))  # the day before the month was loaded

    runs = []
    for d in range(days):
        day = start + pd.Timedelta(days=d)
        kind = planned.get(d)
        begin = day + pd.Timedelta(hours=8 if kind == "late_source" else 2) + pd.Timedelta(
            minutes=float(rng.uniform(0, 10)))
        duration = float(rng.lognormal(np.log(1500), 0.12)) * (4 if kind == "slow" else 1)
        rows_in = int(round(10_000 * WEEKDAY[day.weekday()] * rng.lognormal(0, 0.03)
                            * (0.35 if kind == "volume_drop" else 1)))
        rejected = int(rng.poisson(rows_in * (0.05 if kind == "error_burst" else 0.0005)))
        attempts = [("failed", 0.4)] if kind == "failure" else []
        attempts.append(("success", 1.0))
        for attempt, (status, share) in enumerate(attempts):
            if attempt:  # the on-call reruns the failed day by hand
                begin = day + pd.Timedelta(hours=9)
            took = round(duration * share, 1)
            errors = {"transform": rejected} if status == "success" else {"transform": 1}
            runs.append({"run_id": run_id(day, attempt + 1), "day": day, "attempt": attempt + 1, "started_at": begin.floor("s"),
                         "ended_at": (begin + pd.Timedelta(seconds=took)).floor("s"), "status": status,
                         "duration_s": took, "rows_in": rows_in,
                         "rows_out": rows_in - rejected if status == "success" else 0,
                         "errors": sum(errors.values()), "incident": kind or "",
                         "_errors": errors, "_newest": _unix(day)})
    outages = [(start + pd.Timedelta(days=d) + OUTAGE[0], start + pd.Timedelta(days=d) + OUTAGE[1])
               for d, k in planned.items() if k == "exporter_down"]

    rows = []
    pending = sorted(runs, key=lambda r: r["ended_at"])
    step = pd.Timedelta(minutes=scrape_minutes)
    for at in pd.date_range(start, start + pd.Timedelta(days=days), freq=step, inclusive="left"):
        while pending and pending[0]["ended_at"] <= at:
            run = pending.pop(0)
            metrics.record_run(ended_at=_unix(run["ended_at"]), status=run["status"],
                               duration_s=run["duration_s"], rows_in=run["rows_in"], rows_out=run["rows_out"],
                               errors=run["_errors"], newest_event=run["_newest"])
        down = any(lo <= at < hi for lo, hi in outages)
        rows.append((at, "up", f'job="{PIPELINE}"', 0.0 if down else 1.0))
        if not down:
            metrics.now = _unix(at)
            rows.extend(scrape(metrics.registry, at))
    # runs that end after the last scrape still count in the registry
    for run in pending:
        metrics.record_run(ended_at=_unix(run["ended_at"]), status=run["status"], duration_s=run["duration_s"],
                           rows_in=run["rows_in"], rows_out=run["rows_out"], errors=run["_errors"],
                           newest_event=run["_newest"])
    samples = pd.DataFrame(rows, columns=["time", "metric", "labels", "value"])
    run_frame = pd.DataFrame(runs).drop(columns=["_errors", "_newest"])
    planted = pd.DataFrame(sorted((start + pd.Timedelta(days=d), k) for d, k in planned.items()),
                           columns=["day", "kind"])
    return Simulation(samples, run_frame, planted, metrics.registry)


def series(samples: pd.DataFrame, metric: str, **labels) -> pd.Series:
    """One metric's values by time, summed over the series that match ``labels``.

        >>> sim = simulate_runs(days=2, seed=1, incidents={})
        >>> bool(series(sim.samples, "pipeline_last_run_rows", direction="in").iloc[-1] > 0)
        True
    """
    if not isinstance(samples, pd.DataFrame) or not {"time", "metric", "labels", "value"} <= set(samples):
        raise ValueError("samples must be a frame with time, metric, labels and value columns.")
    if metric not in set(samples["metric"]):
        raise ValueError(f"no metric {metric!r} in the samples; they hold {', '.join(sorted(set(samples['metric'])))}.")
    rows = samples[samples["metric"] == metric]
    if labels:
        wanted = rows["labels"].map(lambda text: all(parse_labels(text).get(k) == str(v) for k, v in labels.items()))
        rows = rows[wanted]
    return rows.groupby("time")["value"].sum()


def plot_series(samples: pd.DataFrame, metric: str, ax, threshold: float | None = None, **labels):
    """One metric over time (a dashboard panel), with a dashed line at ``threshold``; returns ``ax``."""
    values = series(samples, metric, **labels)
    ax.plot(values.index, values.to_numpy(), lw=1)
    if threshold is not None:
        ax.axhline(threshold, color="tab:red", ls="--", lw=1)
    ax.set_title(metric + (f" {labels_text(labels)}" if labels else ""), fontsize=9)
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    return ax
