"""Storage engines by workload: the lab of notebook 04-storage-oltp-olap.

- ``orders``: a seeded orders table, loaded into SQLite (row store, B-tree) and DuckDB (columnar);
- ``workloads``: point lookups, single-row updates, concurrent writers, scans and aggregates, timed
  on both engines;
- ``replica``: a CDC-fed columnar replica (SQLite triggers write a change log, DuckDB applies it)
  and the lag of every change;
- ``nosql``: key-value and document access next to the relational join they replace;
- ``widecolumn``: a Cassandra-style table (partition key, clustering order) built from its queries,
  with the partitions and rows each query touches;
- ``graph``: k-hop and shortest-path questions in recursive SQL and in networkx, same answers;
- ``formats``: CSV, JSON and Parquet (snappy, zstd levels, sorted or not), bytes on disk and bytes
  a query reads, and the small-files problem.

    >>> from labs.storage import orders
    >>> frame = orders.orders(100, seed=1)
    >>> len(frame), list(frame.columns)[:3]
    (100, ['order_id', 'customer_id', 'status'])
"""
