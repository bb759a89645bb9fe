"""Data modelling labs (notebook 02-data-modeling): each module is one question an interviewer asks.

- ``star``: a star schema over the e-commerce data in DuckDB, a wide table beside it,
  and the same business question asked of the normalised sources, the star and the wide
  table (Q1.5);
- ``physical``: what "indexing" means in a warehouse: zone maps over sorted Parquet
  row groups, and real B-tree indexes in SQLite for comparison (Q1.5);
- ``scd``: slowly changing dimensions, types 0 to 3 (and 4/6), on a customer dimension
  that receives deterministic change batches (Q2.2);
- ``tenancy``: three multi-tenant layouts (shared tables, a schema per tenant, a
  database per tenant) with their costs counted, and a leak detector (Q2.4);
- ``wide_vs_long``: high-dimensional features as a wide table, long/EAV rows, a MAP
  or JSON column, with Parquet bytes and query times (Q2.1);
- ``feature_store``: features with timestamps and point-in-time lookups (Q2.1);
- ``bridge``: a many-to-many dimension through a weighted bridge table (product tags);
- ``vault``: the same customers and orders as a Data Vault (hubs, links, satellites);
- ``table_log``: a toy table format, a transaction log over Parquet files in a folder (A1, A11);
- ``timing``: best-of-N timings, the only way a shared laptop gives stable numbers.

Every module runs on DuckDB or SQLite in this process; none needs Spark.

    >>> import pandas as pd
    >>> from labs.modeling import bridge
    >>> tags = bridge.product_tags(pd.DataFrame({"product_id": [1, 2, 3]}), max_tags=2)
    >>> bool(tags.groupby("product_id").size().between(1, 2).all())
    True
"""
