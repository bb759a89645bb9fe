"""Pipelines, for real, on small data: the labs of notebook 03 (ETL/ELT pipelines).

One module per idea, each usable on its own:

- ``etl_vs_elt``: the same mart built by transforming before loading (Spark, then DuckDB)
  and by loading raw data first and transforming in the warehouse (DuckDB SQL);
- ``incremental``: a high-water-mark loader from an OLTP source (SQLite) into DuckDB,
  idempotent upserts (MERGE, INSERT OR REPLACE, delete + insert), late commits;
- ``backfill``: daily partition jobs that can be re-run in any order, and one that cannot;
- ``metadata_pipeline``: a Spark pipeline described by a dict, validated before any data moves
  (its parts: ``metadata_ops``, the operations; ``metadata_check``, the checks without Spark;
  ``metadata_run``, the run on Spark; ``spark_errors``, Spark's errors in one sentence);
- ``quality_gates``: rules, quarantine and reconciliation (in = passed + quarantined), a thin
  layer over the kit's rule engine, ``labs.quality.rules``;
- ``fingerprint``: a content hash that says whether two runs produced the same table;
- ``sources``: small seeded source systems (order versions, a partner's returns export).

    >>> from labs.pipelines import content_hash
    >>> import pandas as pd
    >>> content_hash(pd.DataFrame({"x": [1, 2]})) == content_hash(pd.DataFrame({"x": [2, 1]}))
    True
"""
from labs.pipelines.fingerprint import content_hash

__all__ = ["content_hash"]
