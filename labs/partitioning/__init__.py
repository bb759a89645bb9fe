"""Sharding and partitioning, for real: placements, skew, pruning and shards (notebook
05-sharding-partitioning).

- ``hashing``: a stable ``token()``, hash-mod-N, range, rendezvous and jump placements, moved keys,
  load spread, virtual-node positions on a ring;
- ``slots``: Redis Cluster's 16,384 hash slots, and a live move of slots between SQLite databases;
- ``rowkeys``: row keys of a sorted, range-split store (Bigtable, HBase), measured on SQLite;
- ``skew``: Zipf-skewed keys from ``labs.data.transactions``, load per shard, salting on Spark;
- ``pruning``: hive-partitioned Parquet, and what DuckDB's and Spark's plans say about pruning;
- ``shards``: several DuckDB files as shards, a router and scatter-gather;
- ``plots``: the ring and load-per-node pictures.

    >>> from labs.partitioning import hashing
    >>> hashing.ModN(["db0", "db1"]).node_for("user:1") in ("db0", "db1")
    True
"""
