"""Data quality, measured: dimensions, a standard of rules run on DuckDB/Spark/pandas,
profiling, outliers, volume and freshness anomalies, and scoring against planted defects.

Modules: ``dimensions`` (the seven measurable dimensions on a shop with planted
defects), ``rules`` (a standard as data, scorecard, quarantine), ``profiling``,
``outliers`` (z-score, IQR, MAD), ``anomalies`` (daily volume and freshness),
``scoring`` (precision and recall), ``risk`` (a quick risk report) and
``monitoring`` (metrics with alert thresholds).
"""
