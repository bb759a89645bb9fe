"""A lakehouse on the laptop (notebook 04-storage-oltp-olap): Delta Lake tables written with delta-rs.

Why ``deltalake`` (delta-rs, a Rust implementation with a Python API) and not Spark's Delta: Spark's
Delta Lake needs its jars, which the kit cannot fetch offline, and DuckDB's ``delta`` extension is a
download too. delta-rs writes the same format (Parquet files plus a ``_delta_log`` of JSON commits),
and DuckDB or pandas read the tables through an Arrow dataset.

- ``table``: a small seeded orders table written in several commits; the log's actions per commit;
- ``concurrency``: two writers starting from one version, and which pairs of operations conflict;
- ``time_travel``: a table as of a version, and the rows that differ between two versions;
- ``schema``: a write with a mismatched schema refused, and a column added by schema evolution;
- ``merge``: a slowly changing dimension (type 2) kept with ``MERGE``, idempotent on rerun;
- ``layout``: small files, compaction, Z-order, and the files and bytes a selective query reads;
- ``erasure``: delete plus vacuum for an erasure request, and what each step leaves on disk.

    >>> import tempfile, pathlib
    >>> from labs.lakehouse.table import create_orders, log_entries
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "orders"
    >>> create_orders(path, n=400)
    3
    >>> [e["operation"] for e in log_entries(path)]
    ['WRITE', 'WRITE', 'UPDATE', 'DELETE']
"""
