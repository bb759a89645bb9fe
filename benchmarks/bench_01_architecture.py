"""How fast the architecture lab and its checks run (notebook 01-architecture).

    python benchmarks/bench_01_architecture.py [--repeat 3] [--no-spark]

Prints, as figures (no assertions):

- DuckDB's speedup from 1 to 2 threads on one GROUP BY at three sizes, and the serial share
  Amdahl's law gives for each (a bigger job hides more of the fixed per-query cost);
- lookup latency per store for the serving question;
- what the notebook's slower checks cost a learner: the consumer's probes, the freshness query,
  the decision table;
- with Spark: one aggregate on DuckDB and Spark at four sizes, and a micro-batch's fixed cost.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from grader.notebook import evaluate, load_exercises
from grader.specs import nb01_architecture as spec
from labs.architecture import batch_stream, consumers, engine_choice, estimates, events, scaling, serving
from labs.timing import median_time


def bench_threads(repeat: int) -> None:
    print("DuckDB GROUP BY, 1 against 2 threads")
    print(f"  {'rows':>12} {'1 thread s':>11} {'2 threads s':>12} {'speedup':>8} {'serial share':>13}")
    for rows in (2_000_000, 20_000_000, 60_000_000):
        t = scaling.threads_timing(rows=rows, repeat=repeat)
        s = t["speedup"].iloc[-1]
        print(f"  {rows:12,} {t['seconds'].iloc[0]:11.3f} {t['seconds'].iloc[1]:12.3f} {s:8.2f} "
              f"{scaling.serial_share(s):13.0%}")


def bench_serving() -> None:
    print("\nserving 'what has customer c spent?', 2,000 lookups")
    orders = events.make_events(100_000, seed=7)
    frame = serving.lookup_latency(serving.build_stores(orders), customers=2_000, lookups=2_000)
    for r in frame.itertuples():
        print(f"  {r.store:40} median {r.median_us:8.1f} us   p99 {r.p99_us:8.1f} us")


def bench_checks(repeat: int) -> None:
    print("\nchecks a learner waits for")
    ex = load_exercises("01-architecture")
    answers = {
        "idempotent_consumer": consumers.idempotent_consumer,
        "freshness_sql": spec.FRESHNESS_SQL,
        "batch_or_stream": estimates.decision_table(spec.use_cases()),
    }
    for name, answer in answers.items():
        evaluate(ex[name], answer)  # the first check builds the expected side
        seconds, verdict = median_time(lambda: evaluate(ex[name], answer), repeat)
        print(f"  {name:22} {seconds * 1e3:8.1f} ms  {verdict.status.value}")


def bench_spark(repeat: int) -> None:
    from labs import engines

    spark = engines.spark()
    print("\none aggregate, DuckDB against Spark")
    frame = engine_choice.same_aggregate(spark, sizes=(10_000, 1_000_000, 10_000_000, 50_000_000), repeat=repeat)
    for r in frame.itertuples():
        print(f"  {r.rows:12,} rows: DuckDB {r.duckdb_s:7.3f} s, Spark {r.spark_s:7.3f} s, ratio {r.spark_over_duckdb:6.1f}x")
    print("\na micro-batch's fixed cost (Structured Streaming over file drops)")
    orders = events.make_events(20_000, seed=7)
    with tempfile.TemporaryDirectory() as scratch:
        per_row = batch_stream.per_row_seconds(spark, Path(scratch) / "rows")
        for n_files in (4, 16):
            run = batch_stream.stream_metric(spark, orders, n_files, Path(scratch) / f"s{n_files}", name=f"bench_{n_files}")
            costs = batch_stream.fit_costs(run, per_row, rows_per_day=200_000_000)
            print(f"  {n_files:3} micro-batches: median {run.progress['ms'].median():6.0f} ms, overhead "
                  f"{costs.overhead_s * 1e3:6.0f} ms, crossover at 200 M rows a day {costs.crossover_s():6.0f} s")
        print(f"  per million rows: {per_row * 1e6:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-spark", action="store_true")
    args = parser.parse_args()
    bench_threads(args.repeat)
    bench_serving()
    bench_checks(args.repeat)
    if not args.no_spark:
        bench_spark(args.repeat)


if __name__ == "__main__":
    main()
