"""Streaming, for real and small (notebook 07-streaming): Spark Structured Streaming on scripted batches.

- ``feed``: a deterministic clickstream feed, cut into arrival batches and dropped as
  JSON-lines files into a source folder, with planted late events and producer retries;
- ``watermark``: the watermark rule in plain Python, to predict what Spark drops;
- ``queries``: the streaming queries (windows, watermarks, output modes) and their progress;
- ``sink``: a foreachBatch sink into DuckDB, naive or idempotent, with an injectable crash;
- ``log``: a tiny partitioned, ordered, replayable log (Kafka's model without a broker);
- ``txn``: Kafka transactions in miniature: epochs that fence a zombie producer, read_committed;
- ``outbox``: the dual write of a database and a log, and the transactional outbox that fixes it;
- ``latency``: end-to-end latency of micro-batches, modelled and measured.

    >>> from labs.streaming.feed import make_feed
    >>> feed = make_feed()
    >>> feed.n_batches > 3 and int(feed.events["is_late"].sum()) > 0
    True
"""
