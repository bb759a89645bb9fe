"""Monitoring a daily pipeline and troubleshooting it (notebook 11-orchestration-monitoring).

Modules: ``metrics`` (the pipeline's metrics on a private ``prometheus_client`` registry, and a
seeded month of scrapes with planted incidents), ``alerts`` (alert rules as data, evaluated with
Prometheus' ``for:`` semantics), ``logs`` (structured JSON logs written by ``logging``, queried with
DuckDB), ``lineage`` (OpenLineage run events through the file transport, drawn as a graph),
``quality`` (a data-quality monitor over time, built on ``labs.quality``) and ``incident`` (the
"yesterday's revenue is 12 % low" incident and one function per runbook step).

    >>> from labs.monitoring.metrics import simulate_runs
    >>> sim = simulate_runs(days=7, seed=1, incidents={})
    >>> sorted(sim.runs["status"].unique())
    ['success']
"""
