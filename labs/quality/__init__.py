"""Data quality, measured (notebook 08-data-quality): dimensions, a standard of rules run on
DuckDB/Spark/pandas, profiling, outliers, volume and freshness anomalies, data contracts, and
scoring against planted defects.

Modules: ``dimensions`` (the seven measurable dimensions on a shop with planted
defects), ``rules`` (the kit's one rule engine: a standard as data, scorecard, quarantine, the
batch gate and write-audit-publish; notebook 03's pipeline gate is a layer over it), ``contracts`` (a producer's promise as data, checked in CI),
``profiling``, ``outliers`` (z-score, IQR, MAD), ``anomalies`` (daily volume and
freshness), ``scoring`` (precision and recall), ``risk`` (a quick risk report) and
``monitoring`` (metrics with alert thresholds).
"""
