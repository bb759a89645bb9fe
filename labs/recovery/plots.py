"""Pictures of failure and recovery; each ``plot_*`` draws on the axes it is given and returns it.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from labs.recovery.retry import RetryPolicy
    >>> fig, ax = plt.subplots()
    >>> plot_delays(RetryPolicy(max_attempts=6, base_s=1, max_s=20), ax).get_xlabel()
    'retry number'
    >>> plt.close(fig)
"""
from __future__ import annotations

import pandas as pd

from labs.recovery.retry import RetryPolicy, delays

COLOURS = {"none": "#d62728", "equal": "#dd8452", "full": "#4c72b0"}


def plot_delays(policy: RetryPolicy, ax, seeds=range(30)):
    """The wait before each retry: the capped exponential ceiling, and the jittered draws of many seeds."""
    retries = list(range(1, policy.max_attempts))
    ax.plot(retries, [policy.ceiling(r) for r in retries], color="black", marker="o", label="ceiling (no jitter)")
    for i, seed in enumerate(seeds):
        ax.scatter(retries, delays(policy, seed), s=10, alpha=0.35, color=COLOURS.get(policy.jitter, "#4c72b0"),
                   label=f"{policy.jitter} jitter, one dot per client" if i == 0 else None)
    ax.set_xlabel("retry number")
    ax.set_ylabel("wait before it (s)")
    ax.set_xticks(retries)
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_load(results: dict, ax, capacity_per_s: int | None = None, recover_at_s: float | None = None,
              from_s: float = 0):
    """Calls per second reaching the source, one line per herd result (``{label: HerdResult}``).

    ``from_s`` leaves out the seconds before it: the first second holds every client's first call
    and, jittered or not, dwarfs the rest.
    """
    for label, result in results.items():
        load = result.load[result.load["second"] >= from_s]
        ax.step(load["second"], load["calls"], where="post", label=label,
                color=COLOURS.get(result.summary.get("jitter")), lw=1.2)
    if capacity_per_s is not None:
        ax.axhline(capacity_per_s, color="grey", ls="--", lw=1, label="capacity per second")
    if recover_at_s is not None:
        ax.axvline(recover_at_s, color="green", ls=":", lw=1, label="source back")
    ax.set_xlabel("second")
    ax.set_ylabel("calls in that second")
    ax.legend(fontsize=8)
    return ax


def plot_crash_sweep(sweep: pd.DataFrame, ax):
    """Per crash point, the duplicates (up) and missing rows (down) a restart left: zero everywhere is the goal."""
    x = sweep["crash_before"]
    ax.bar(x, sweep["duplicates"], color="#dd8452", label="duplicate rows")
    ax.bar(x, -sweep["missing"], color="#d62728", label="missing rows")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel("the process died before statement")
    ax.set_ylabel("rows wrong after the restart")
    ax.set_title(str(sweep["mode"].iloc[0]) if len(sweep) else "")
    ax.legend(fontsize=8)
    return ax


def plot_backfill(plan, ax):
    """A Gantt chart of a backfill: one bar per logical date, on the slot it ran in."""
    runs = plan.runs
    ax.barh(runs["slot"], runs["end_min"] - runs["start_min"], left=runs["start_min"], height=0.6,
            color="#4c72b0", edgecolor="white")
    for row in runs.itertuples():
        ax.text((row.start_min + row.end_min) / 2, row.slot, row.logical_date.strftime("%m-%d"),
                ha="center", va="center", fontsize=7, color="white")
    ax.set_yticks(sorted(runs["slot"].unique()))
    ax.set_ylabel("slot (max active runs)")
    ax.set_xlabel("minutes since the backfill started")
    return ax
