"""How fast the data generators are, and what a billion transactions cost.

    python benchmarks/bench_data.py            # full: e-commerce at scale 1/5/20, 1e9 transactions
    python benchmarks/bench_data.py --quick    # e-commerce at 0.5/1/2, 1e8 transactions
    python benchmarks/bench_data.py --only billion   # one group of cases: ecommerce, billion, compare

Prints a table of figures; asserts nothing (timings belong here, not in tests).
Every case runs in its own Python process, so its peak resident memory (RSS) is
its own and not the high-water mark of an earlier case. Each step reports wall
time and CPU time (all threads of the process): on a busy machine the wall time
grows while the CPU time stays close to the work done.

Cases:

1. ``generate("ecommerce", scale)`` to a temporary folder: rows written per second.
2. The case study: generate N transactions inside DuckDB and aggregate them by day
   and merchant (count and total amount), keeping the ~3 million result rows in a
   DuckDB table. Target: a billion rows in 60 s and 4 GB on a two-core laptop.
3. The same aggregate over 10 million rows read from one Parquet file, in DuckDB,
   pandas and Spark local mode, as ratios to DuckDB. Spark is timed on its second
   run (the first pays for starting the JVM, reported separately); its CPU time is
   spent in the JVM, outside the Python process, so it is not shown.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

AGGREGATE = ("SELECT txn_date, merchant_id, count(*) AS n, sum(amount) AS total "
             "FROM {source} GROUP BY txn_date, merchant_id")


def peak_rss_mb() -> float:
    # Linux reports kilobytes, macOS bytes.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def timed(step) -> tuple[object, float, float]:
    """Run ``step()``; return (its result, wall seconds, CPU seconds of this process)."""
    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    wall0, cpu0 = time.perf_counter(), cpu()
    result = step()
    return result, time.perf_counter() - wall0, cpu() - cpu0


# -- cases, each run in a child process -------------------------------------------

def case_ecommerce(scale: float, workdir: str) -> dict:
    from labs import data

    paths, seconds, cpu = timed(lambda: data.generate("ecommerce", scale, out=workdir, progress=False))
    manifest = json.loads((paths["orders"].parent / "manifest.json").read_text())
    rows = sum(manifest["row_counts"][t] for t in data.ecommerce.TABLES)
    return {"rows": rows, "seconds": seconds, "cpu": cpu}


def case_billion(n_rows: int, workdir: str) -> dict:
    from labs.data import transactions
    from labs.engines import duckdb

    con = duckdb()
    con.execute(f"SET threads = {os.cpu_count() or 2}")
    # A cap below the 4 GB target leaves room for Python and DuckDB's own buffers;
    # past it DuckDB spills to the temp folder instead of failing.
    con.execute("SET memory_limit = '3GB'")
    con.execute(f"SET temp_directory = '{Path(workdir) / 'duckdb-spill'}'")
    con.execute("SET preserve_insertion_order = false")  # order is irrelevant to a group-by
    query = transactions.sql(n_rows, seed=42, skew=transactions.DATASET_SKEW)
    _, seconds, cpu = timed(lambda: con.execute(
        "CREATE TEMP TABLE daily AS " + AGGREGATE.format(source=f"({query})")))
    groups, total_rows = con.execute("SELECT count(*), sum(n) FROM daily").fetchone()
    assert total_rows == n_rows  # a sanity check on the run, not a timed assertion
    return {"rows": n_rows, "seconds": seconds, "cpu": cpu, "groups": groups}


def case_write_parquet(n_rows: int, path: str) -> dict:
    from labs.data import transactions

    _, seconds, cpu = timed(lambda: transactions.write(n_rows, path, seed=42,
                                                       skew=transactions.DATASET_SKEW))
    return {"rows": n_rows, "seconds": seconds, "cpu": cpu}


def case_duckdb(path: str) -> dict:
    from labs.engines import duckdb

    con = duckdb()
    _, seconds, cpu = timed(lambda: con.execute(
        "CREATE TEMP TABLE daily AS " + AGGREGATE.format(source=f"read_parquet('{path}')")))
    return {"seconds": seconds, "cpu": cpu, "groups": con.execute("SELECT count(*) FROM daily").fetchone()[0]}


def case_pandas(path: str) -> dict:
    import pandas as pd

    def step():
        frame = pd.read_parquet(path, columns=["txn_date", "merchant_id", "amount"])
        frame["amount"] = frame["amount"].astype("float64")  # Decimal objects would be far slower
        return frame.groupby(["txn_date", "merchant_id"], sort=False).agg(
            n=("amount", "size"), total=("amount", "sum"))

    daily, seconds, cpu = timed(step)
    return {"seconds": seconds, "cpu": cpu, "groups": len(daily)}


def case_spark(path: str) -> dict:
    from labs.engines import spark

    session, startup, _ = timed(spark)
    session.read.parquet(path).createOrReplaceTempView("txns")
    query = AGGREGATE.format(source="txns")

    def step():
        session.sql(query).write.format("noop").mode("overwrite").save()  # compute, keep nothing

    _, first, _ = timed(step)
    _, second, _ = timed(step)
    groups = session.sql(f"SELECT count(*) FROM ({query})").collect()[0][0]
    return {"seconds": second, "cpu": None, "first_run": first, "startup": startup, "groups": groups}


CASES = {"ecommerce": case_ecommerce, "billion": case_billion, "write": case_write_parquet,
         "duckdb": case_duckdb, "pandas": case_pandas, "spark": case_spark}


def child_main(name: str, arguments: str) -> None:
    result = CASES[name](*json.loads(arguments))
    result["peak_rss_mb"] = peak_rss_mb()
    print("RESULT " + json.dumps(result))


# -- the parent: run cases, print the table ------------------------------------------

def run_case(name: str, *args, env: dict) -> dict:
    command = [sys.executable, __file__, "--case", name, json.dumps(args)]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"case {name} failed:\n{done.stderr[-3000:]}")


def row(label: str, rows: int, result: dict, notes: str = "") -> None:
    seconds, cpu = result["seconds"], result["cpu"]
    cpu_text = f"{cpu:8.1f}" if cpu is not None else f"{'-':>8}"
    print(f"{label:<40}{rows:>14,}{seconds:>9.2f}{cpu_text}{rows / seconds:>13,.0f}"
          f"{result['peak_rss_mb']:>8,.0f} MB  {notes}", flush=True)


def ratio(result: dict, base: dict) -> str:
    text = f"wall {result['seconds'] / base['seconds']:.1f}x"
    if result["cpu"] is not None:
        text += f", CPU {result['cpu'] / base['cpu']:.1f}x"
    return text + " DuckDB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--skip-spark", action="store_true", help="leave out the Spark comparison")
    parser.add_argument("--only", choices=("ecommerce", "billion", "compare"),
                        help="run one group of cases: generators, the 1e9 case study, or the 1e7 comparison")
    parser.add_argument("--case", nargs=2, help=argparse.SUPPRESS)  # internal: NAME JSON-ARGS
    args = parser.parse_args()
    if args.case:
        child_main(*args.case)
        return

    scales = (0.5, 1.0, 2.0) if args.quick else (1.0, 5.0, 20.0)
    many = 100_000_000 if args.quick else 1_000_000_000
    compare_rows = 10_000_000
    with tempfile.TemporaryDirectory(prefix="bench-data-") as workdir:
        env = {**os.environ, "KIT_DATA_DIR": workdir, "KIT_STATE_DIR": str(Path(workdir) / "state"),
               "PYTHONPATH": str(ROOT)}
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} at start; "
              f"Python {sys.version.split()[0]}")
        print(f"{'case':<40}{'rows':>14}{'wall s':>9}{'CPU s':>8}{'rows/s':>13}{'peak RSS':>11}  notes")

        wanted = lambda group: args.only in (None, group)  # noqa: E731
        for scale in scales if wanted("ecommerce") else ():
            result = run_case("ecommerce", scale, workdir, env=env)
            row(f"ecommerce generate, scale {scale:g}", result["rows"], result,
                "6 tables, partitions, JSON, CSV")

        if wanted("billion"):
            result = run_case("billion", many, workdir, env=env)
            row("transactions: make + aggregate (DuckDB)", many, result,
                f"{result['groups']:,} (day, merchant) groups; skew 1.1")

        if wanted("compare"):
            compare(compare_rows, workdir, env, args.skip_spark)
        after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"load average {after:.1f} at the end")


def compare(compare_rows: int, workdir: str, env: dict, skip_spark: bool) -> None:
    """The same aggregate over one Parquet file in DuckDB, pandas and Spark local, as ratios."""
    parquet = str(Path(workdir) / "txn-1e7.parquet")
    result = run_case("write", compare_rows, parquet, env=env)
    row("transactions.write, one Parquet file", compare_rows, result,
        f"{Path(parquet).stat().st_size / 2**20:,.0f} MB on disk")
    base = run_case("duckdb", parquet, env=env)
    row("read Parquet + aggregate: DuckDB", compare_rows, base, f"{base['groups']:,} groups")
    result = run_case("pandas", parquet, env=env)
    row("read Parquet + aggregate: pandas", compare_rows, result, ratio(result, base))
    if not skip_spark:
        result = run_case("spark", parquet, env=env)
        row("read Parquet + aggregate: Spark local", compare_rows, result,
            f"{ratio(result, base)} (warm run; first {result['first_run']:.1f} s, session start "
            f"{result['startup']:.1f} s; RSS of the Python driver only)")


if __name__ == "__main__":
    main()
