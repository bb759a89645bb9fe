"""Streaming lab costs: micro-batch time by query kind, state size, and the latency it implies.

    python benchmarks/bench_07_streaming.py

Streams the scripted feed of ``labs.streaming.feed`` (231 events in 5 files) through a
stateless foreachBatch sink, a watermarked windowed count with de-duplication (append) and
the same count in complete mode; prints, per query, the median time of a micro-batch with
data and the state rows at the end, then the mean and p99 latency the latency model gives
for that per-batch time at several trigger intervals, and what the sink exercise's crash
harness costs (one replay per crash point). Prints figures; asserts nothing (timings on
shared machines are noisy).
"""
from __future__ import annotations

import time

import pandas as pd


def main() -> None:
    from labs import engines
    from labs.streaming import latency, queries, sink
    from labs.streaming.feed import make_feed

    t0 = time.perf_counter()
    spark = engines.spark()
    spark.sql("select 1").collect()
    print(f"spark session ready: {time.perf_counter() - t0:.1f} s")
    feed = make_feed()
    print(f"feed: {len(feed.events)} events in {feed.n_batches} files")

    ws = queries.workspace("bench-streaming")
    stream = queries.source(spark, ws / "source")
    runs = {
        "append + dedup": queries.start(queries.window_counts(stream), "b_append", ws / "ck1"),
        "complete": queries.start(queries.window_counts(stream, dedup=False), "b_complete", ws / "ck2", "complete"),
    }
    t0 = time.perf_counter()
    queries.replay(feed, ws / "source", list(runs.values()))
    print(f"replay through two stateful queries: {time.perf_counter() - t0:.1f} s")
    rows = []
    for name, q in runs.items():
        p = queries.progress_table(q)
        data = p[p.input_rows > 0]
        rows.append({"query": name, "batches (with data)": f"{len(p)} ({len(data)})",
                     "median ms per data batch": data.trigger_ms.median(),
                     "state rows at end": int(p.state_rows.iloc[-1]),
                     "dropped by watermark": int(p.dropped_by_watermark.sum())})
        q.stop()

    t0 = time.perf_counter()
    sink.stream_into(spark, feed, ws / "sink-source", ws / "ck3", sink.SparkSink(ws / "s.duckdb"))
    rows.append({"query": "foreachBatch -> DuckDB", "batches (with data)": f"{feed.n_batches}",
                 "median ms per data batch": (time.perf_counter() - t0) * 1000 / feed.n_batches,
                 "state rows at end": 0, "dropped by watermark": 0})
    table = pd.DataFrame(rows).set_index("query")
    print(table.to_string())

    per_batch = float(table["median ms per data batch"].min()) / 1000
    print(f"\nlatency model at {per_batch:.2f} s of work per batch:")
    model = [{"trigger s": t, **{k: round(v, 2) for k, v in latency.simulate(t, per_batch).items()}}
             for t in (0.5, 1, 2, 5, 10, 30) if t >= per_batch]
    print(pd.DataFrame(model).to_string(index=False))

    clicks = feed.batches()[:-1]
    for write in (sink.naive_append, sink.idempotent_write):
        t0 = time.perf_counter()
        for _ in range(5):
            sink.replay_with_crash(write, clicks, crash_batch=1)
        print(f"{write.__name__}: {(time.perf_counter() - t0) / 5 * 1000:.0f} ms per replayed feed (DuckDB, no Spark)")
    ids = set(feed.real_events()["event_id"])
    t0 = time.perf_counter()
    points = sink.crash_points(sink.idempotent_write, clicks, 1, ids)
    print(f"the idempotent_sink check's harness: {len(points)} replays (one per crash point) in "
          f"{(time.perf_counter() - t0) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
