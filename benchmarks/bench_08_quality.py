"""Benchmark of 08-data-quality: the same rule set on pandas, DuckDB and Spark as data grows,
and the detectors' precision/recall across seeds. Prints figures; asserts nothing.

    python benchmarks/bench_08_quality.py [--scales 0.25 1 4] [--no-spark]
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from labs import engines
from labs.quality import anomalies, dimensions, outliers, rules, scoring
from labs.timing import median_seconds


def rules_by_engine(scales, use_spark: bool) -> pd.DataFrame:
    standard = rules.shop_standard()
    con = engines.duckdb()
    session = engines.spark() if use_spark else None
    rows = []
    for scale in scales:
        shop = dimensions.dirty_shop(scale=scale, seed=42)
        tables = {name: shop.tables[name] for name in ("customers", "orders")}
        n = sum(len(t) for t in tables.values())
        row = {"scale": scale, "rows": n,
               "pandas_s": median_seconds(lambda: rules.scorecard_pandas(tables, standard), 3, warmup=1),
               "duckdb_s": median_seconds(lambda: rules.scorecard_duckdb(con, tables, standard), 3, warmup=1)}
        if session is not None:
            frames = {name: session.createDataFrame(t).cache() for name, t in tables.items()}
            for frame in frames.values():
                frame.count()
            row["spark_s"] = median_seconds(lambda: rules.scorecard_spark(session, frames, standard), 3, warmup=1)
        rows.append(row)
    out = pd.DataFrame(rows)
    out["pandas/duckdb"] = out["pandas_s"] / out["duckdb_s"]
    return out


def detectors_across_seeds(seeds=range(10)) -> pd.DataFrame:
    rows = []
    for seed in seeds:
        loads, planted = anomalies.daily_loads(seed=seed)
        counts = loads.set_index("day")["rows"]
        truth = planted.loc[planted["kind"].isin(["spike", "drop"]), "day"]
        for name, fn in (("volume: global z", anomalies.zscore_volume_anomalies),
                         ("volume: seasonal MAD", anomalies.seasonal_volume_anomalies)):
            rows.append({"detector": name, "seed": seed, **scoring.precision_recall(fn(counts), truth)})
        amounts, planted_rows = outliers.with_planted_outliers(rate=0.08, seed=seed)
        logs = np.log(amounts.where(amounts > 0))
        logs = logs.fillna(logs.median())
        for name, mask in (("outliers: z-score", outliers.zscore(amounts)),
                           ("outliers: MAD on log", (amounts <= 0) | outliers.mad(logs))):
            rows.append({"detector": name, "seed": seed,
                         **scoring.precision_recall(amounts.index[mask], planted_rows)})
    frame = pd.DataFrame(rows)
    return frame.groupby("detector")[["precision", "recall"]].agg(["mean", "min"]).round(3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.25, 1.0, 4.0])
    parser.add_argument("--no-spark", action="store_true")
    args = parser.parse_args()
    print(f"Scorecard of the shop's standard ({len(rules.shop_standard())} rules), median of 3 after a warm-up, seconds:")
    print(rules_by_engine(args.scales, not args.no_spark).round(4).to_string(index=False))
    print("\nDetectors over 10 seeds (precision and recall against planted defects):")
    print(detectors_across_seeds().to_string())


if __name__ == "__main__":
    main()
