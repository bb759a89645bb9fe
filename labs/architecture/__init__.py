"""Data architecture on a laptop (notebook 01-architecture): the trade-offs, measured.

- ``events``: a seeded source of order events (D1), cut into JSON-lines file drops (D2);
- ``batch_stream``: one metric by a Spark batch job and by Structured Streaming over the same drops,
  and what the trigger interval does to freshness and compute;
- ``lambda_kappa``: two code paths (batch + speed layer) against one, and reprocessing by replay;
- ``consumers``: at-least-once delivery into a consumer that is idempotent, or not, on SQLite;
- ``scaling``: the same job at 1 and 2 threads, Amdahl's law, a memory limit, coordination cost;
- ``engine_choice``: MapReduce, Spark, Flink and DuckDB on what decides, and one aggregate on two engines;
- ``lake_warehouse``: schema-on-read over raw JSON against a typed warehouse table (D3);
- ``serving``: one question served from a pre-aggregate, DuckDB and SQLite (D9);
- ``estimates``: back-of-the-envelope sizing and the batch-or-stream schedule rule.

    >>> from labs.architecture.events import make_events
    >>> events = make_events(1_000, seed=1)
    >>> len(events), events["event_id"].is_unique
    (1000, True)
"""
